//! The CDC/ATSDR SVI reader of `kwm svi`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let columns = vec!["EP_POV150".to_string(), "E_TOTPOP".to_string()];
    if let Err(e) = kwm_ingest::svi_csv::read_svi_columns("svi.csv", data, &columns, -999.0) {
        kwm_fuzz::check_error(&e, data);
    }
});
