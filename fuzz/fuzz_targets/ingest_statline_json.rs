//! `kwm ingest --format` for one parser: no panic, errors located, accepted figures finite.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kwm_fuzz::ingest("t_85984NED.json", kwm_ingest::Format::Statline, data);
});
