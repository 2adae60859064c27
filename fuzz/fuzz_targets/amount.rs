//! Any text, and any number, through the amount parser: no panic, a
//! number only in range, and a printed number reads back.
#![no_main]

use gyokaku::format::format_number;
use gyokaku::ingest::amount::{AMOUNT_LIMIT, Kind, Unit, parse_amount};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let number = data.get(..8).map(|b| f64::from_le_bytes(b.try_into().unwrap()));
    for unit in [Unit::Hours, Unit::ThousandYen, Unit::Free] {
        for n in [None, number] {
            let (amount, kind) = parse_amount(text, n, unit);
            assert_eq!(amount.value.is_some(), kind == Kind::Number);
            if let Some(v) = amount.value {
                assert!(v.is_finite() && v.abs() <= AMOUNT_LIMIT);
                let (back, _) = parse_amount(&format_number(v), None, unit);
                let rounded = (v * 100.0).round() / 100.0;
                assert!((back.value.unwrap() - rounded).abs() <= rounded.abs() * 1e-15);
            }
        }
    }
});
