//! Time zones as the language writes them, to UTC offsets.

/// Parses a zone as the language accepts it: `+08:00`, `-05:00`, `Z`, `UTC`,
/// or one of the named zones without daylight saving time.
pub fn parse_offset(zone: &str) -> Option<i32> {
    match zone {
        "Z" | "UTC" | "Etc/UTC" => return Some(0),
        "Asia/Shanghai" | "Asia/Hong_Kong" | "Asia/Taipei" | "Asia/Singapore"
        | "Asia/Chongqing" | "PRC" => return Some(8 * 3600),
        _ => {}
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "00"));
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}
