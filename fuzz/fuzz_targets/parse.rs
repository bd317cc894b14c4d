//! Any text: `parse` must not panic; an error points inside the input on
//! character boundaries; a tree prints to text that parses back to the same
//! printed text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match duijie_dsl::parse(src) {
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= src.len(),
                "{e:?}"
            );
            assert!(
                src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end),
                "{e:?}"
            );
            assert!(!e.message.is_empty());
        }
        Ok(file) => {
            let printed = duijie_dsl::to_source(&file);
            let again = match duijie_dsl::parse(&printed) {
                Ok(f) => f,
                Err(e) => panic!("printed text does not parse: {e:?}\n{printed}"),
            };
            assert_eq!(duijie_dsl::to_source(&again), printed);
        }
    }
});
