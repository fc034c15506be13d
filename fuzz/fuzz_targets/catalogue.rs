//! The catalogue parser: the first byte picks which of the shipped files the rest replaces, so
//! every file's cross-references to the others are exercised. No panic; errors name a file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut files = kwm_fuzz::files();
    let i = usize::from(which) % files.len();
    files[i].text = text.to_string();
    if let Err(e) = kwm_model::catalogue::Catalogue::parse(&files) {
        assert!(!e.to_string().is_empty());
    }
});
