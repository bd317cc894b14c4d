//! Source records waiting in the queue (and in the steps table) are kept
//! compressed: each bill's record is several KB of JSON that is only read
//! again if the bill becomes a dead letter, and is otherwise written, copied
//! by claims and deleted. LZ4 (a block with its length first) shrinks it
//! about four times for little CPU, so the store writes far fewer pages.
//!
//! A compressed record is a BLOB; a TEXT value is a record stored as text by
//! an older duijie, read as it is. Dead letters keep their record as text.

use super::*;
use rusqlite::types::Value;

/// The record as stored in the queue.
pub(super) fn pack(source_json: &str) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(source_json.as_bytes())
}

/// The record of a stored value, compressed or not.
pub(super) fn unpack(value: Value) -> Result<String> {
    match value {
        Value::Text(text) => Ok(text),
        Value::Blob(bytes) => {
            let corrupt =
                |what: &str| StoreError::Corrupt(format!("a compressed source record: {what}"));
            let (size, block) = match bytes.split_first_chunk::<4>() {
                Some((size, block)) => (u32::from_le_bytes(*size) as usize, block),
                None => return Err(corrupt("too short")),
            };
            // LZ4 expands at most 255 times: a larger size is damage, and
            // is not allocated.
            if size > block.len().saturating_mul(255) {
                return Err(corrupt("its length is wrong"));
            }
            let raw =
                lz4_flex::block::decompress(block, size).map_err(|e| corrupt(&e.to_string()))?;
            if raw.len() != size {
                return Err(corrupt("its length is wrong"));
            }
            String::from_utf8(raw)
                .map_err(|_| StoreError::Corrupt("a source record that is not UTF-8".into()))
        }
        other => Err(StoreError::Corrupt(format!(
            "a source record of type {}",
            other.data_type()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_as_they_went_in_and_text_is_read_as_it_is() {
        for text in ["", "{}", r#"{"purchase_no":"CG001","remark":"备注 ✓"}"#] {
            let packed = pack(text);
            assert_eq!(unpack(Value::Blob(packed)).unwrap(), text);
        }
        let long = r#"{"k":"0123456789abcdef"}"#.repeat(200);
        let packed = pack(&long);
        assert!(packed.len() * 4 < long.len(), "{} bytes", packed.len());
        assert_eq!(unpack(Value::Blob(packed)).unwrap(), long);
        assert_eq!(
            unpack(Value::Text("{\"a\":1}".into())).unwrap(),
            "{\"a\":1}"
        );
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let mut packed = pack(&"x".repeat(1000));
        packed.truncate(packed.len() / 2);
        assert!(matches!(
            unpack(Value::Blob(packed)),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            unpack(Value::Blob(vec![0xff, 0xff, 0xff, 0x7f, 1])),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            unpack(Value::Integer(3)),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(unpack(Value::Null), Err(StoreError::Corrupt(_))));
    }
}
