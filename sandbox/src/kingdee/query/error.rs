//! A failed query: the MsgCode and message of 金蝶's answer. MsgCode 9 is an
//! unknown field (`元数据中标识为{key}的字段不存在`), 4 an unknown form or a
//! filter that does not parse, 8 a bad paging parameter.

/// A failed query: MsgCode and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub msg_code: i64,
    pub message: String,
}

impl QueryError {
    pub(super) fn new(msg_code: i64, message: impl Into<String>) -> Self {
        QueryError {
            msg_code,
            message: message.into(),
        }
    }
}

/// MsgCode 9: `key` names no field of the form.
pub(super) fn unknown_field(key: &str) -> QueryError {
    QueryError::new(9, format!("元数据中标识为{key}的字段不存在"))
}
