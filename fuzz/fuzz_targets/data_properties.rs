//! StatLine `DataProperties` and region-dimension metadata (JSON).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = kwm_ingest::statline::parse_data_properties("t_DataProperties.json", text) {
        kwm_fuzz::check_error(&e, data);
    }
    if let Err(e) = kwm_ingest::statline::parse_dimension_names("t_WijkenEnBuurten.json", text) {
        kwm_fuzz::check_error(&e, data);
    }
});
