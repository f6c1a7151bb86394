//! Replays every file of `tests/fuzz-corpus/` through the frame decoder, as the fuzz
//! target in `fuzz/fuzz_targets/frame_decode.rs` does, so inputs found by fuzzing stay
//! checked on stable.
//!
//! Each file is one input as it arrives on a stream: a 4-byte length prefix, then the
//! body. The file name says what is expected:
//!
//! - `valid-*`: the prefix matches the body, the body decodes, and the frame encodes back
//!   to the same bytes;
//! - `invalid-*`: the receiver rejects the input at some step;
//! - any other name, such as a crash input saved by the fuzzer: decoding returns.

use std::fs;
use std::path::{Path, PathBuf};

use progmanager_sync::frame::{self, Frame, FrameError, LENGTH_PREFIX_LEN};

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.expect("listing the corpus directory").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Decodes one wire input the way `FrameReceiver::recv` does: length prefix first, then
/// the body it announces.
fn decode_wire(input: &[u8]) -> Result<Frame, String> {
    let (prefix, body) = input
        .split_first_chunk::<LENGTH_PREFIX_LEN>()
        .ok_or_else(|| format!("{} bytes, shorter than the length prefix", input.len()))?;
    let len = frame::decode_length(*prefix).map_err(|err| err.to_string())?;
    if len != body.len() {
        return Err(format!(
            "prefix announces {len} bytes, body has {}",
            body.len()
        ));
    }
    frame::decode(body).map_err(|err| err.to_string())
}

#[test]
fn corpus_replays_without_panic() {
    let files = corpus_files();
    assert!(files.len() >= 20, "corpus has only {} files", files.len());

    for path in files {
        let input =
            fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();

        // The fuzz target also feeds the whole input to `decode` as a body.
        let _ = frame::decode(&input);
        let result = decode_wire(&input);

        if name.starts_with("valid-") {
            let decoded = result.unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(
                frame::encode(&decoded),
                input,
                "{name}: re-encoding differs"
            );
        } else if name.starts_with("invalid-") {
            assert!(result.is_err(), "{name}: decoded as {result:?}");
        }
    }
}

#[test]
fn corpus_has_every_frame_kind() {
    let mut kinds: Vec<&str> = corpus_files()
        .iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("valid-"))
        })
        .filter_map(|path| fs::read(path).ok())
        .filter_map(|input| decode_wire(&input).ok())
        .map(|frame| frame.kind())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "Bye",
            "Docs",
            "Hello",
            "Join",
            "JoinAccepted",
            "JoinRejected",
            "Sync"
        ]
    );
}

#[test]
fn oversized_prefix_is_rejected_before_the_body() {
    let input = fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-corpus/invalid-oversized-length.bin"),
    )
    .expect("the corpus has an oversized length prefix");
    let prefix = input
        .first_chunk::<LENGTH_PREFIX_LEN>()
        .expect("the file starts with a prefix");
    assert!(matches!(
        frame::decode_length(*prefix),
        Err(FrameError::TooLong { .. })
    ));
}
