//! Fuzz target of the frame decoder: arbitrary bytes go through `decode_length` (the
//! first four bytes, as the receiver reads them) and `decode` (the whole input as a
//! body, then the bytes after the prefix), which must return without panicking.
//!
//! A decoded frame must also encode back to the same body, so the decoder accepts
//! nothing the encoder would write differently.

#![no_main]

use libfuzzer_sys::fuzz_target;
use progmanager_sync::frame::{self, LENGTH_PREFIX_LEN};

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = frame::decode(data) {
        assert_eq!(&frame::encode(&decoded)[LENGTH_PREFIX_LEN..], data);
    }

    let Some((prefix, body)) = data.split_first_chunk::<LENGTH_PREFIX_LEN>() else {
        return;
    };
    if frame::decode_length(*prefix).is_ok() {
        // The result may be an error: only a panic is a finding.
        let _ = frame::decode(body);
    }
});
