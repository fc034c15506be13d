//! The value-column reader of `kwm spatial`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = kwm_ingest::parse_values("values.csv", text, "value") {
        kwm_fuzz::check_error(&e, data);
    }
});
