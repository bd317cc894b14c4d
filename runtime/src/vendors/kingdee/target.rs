//! 金蝶云星空 as the engine's [`Target`]: saves with the scheme's options,
//! finds bills by number, checks the login.

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::engine::{BillResult, BoxFuture, RowsQuery, StepResult, Target};
use crate::error::Error;
use crate::state::Step;

/// 金蝶云星空 as a [`Target`].
pub struct KingdeeTarget {
    pub client: Arc<Client>,
    /// `Save` (one bill a call) rather than `BatchSave`.
    pub single: bool,
    /// The form `check` queries.
    pub check_form: String,
}

/// A filter `field in ('a','b')` with quotes doubled.
pub fn number_filter(field: &str, numbers: &[String]) -> String {
    let list: Vec<String> = numbers
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect();
    format!("{field} in ({})", list.join(","))
}

/// A query cell as text. Servers answer ids and numbers as floats
/// (`100001.0`): a whole number loses its `.0`.
pub fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => {
            let text = n.to_string();
            Some(match text.split_once('.') {
                Some((whole, fraction))
                    if !whole.is_empty() && fraction.bytes().all(|b| b == b'0') =>
                {
                    whole.to_owned()
                }
                _ => text,
            })
        }
        _ => None,
    }
}

impl Target for KingdeeTarget {
    fn rows<'a>(
        &'a self,
        query: &'a RowsQuery,
    ) -> BoxFuture<'a, Result<Vec<Vec<Option<String>>>, Error>> {
        Box::pin(async move {
            let rows = self
                .client
                .execute_bill_query(&BillQuery {
                    form_id: query.form_id.clone(),
                    field_keys: query.field_keys.clone(),
                    filter: query.filter.clone(),
                    order: query.order.clone(),
                    top: 0,
                    start: query.start,
                    limit: query.limit,
                })
                .await?;
            Ok(rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|v| match v {
                            Value::Bool(b) => Some(b.to_string()),
                            other => cell_text(other),
                        })
                        .collect()
                })
                .collect())
        })
    }

    fn save<'a>(
        &'a self,
        form_id: &'a str,
        bills: &'a [&'a str],
        options: &'a [(String, Value)],
    ) -> BoxFuture<'a, Result<Vec<BillResult>, Error>> {
        Box::pin(async move {
            let opts = save_options(form_id, options);
            if self.single && bills.len() == 1 {
                let o = self.client.save(form_id, bills[0], &opts).await?;
                return Ok(vec![bill_result(o)]);
            }
            let outcome = self.client.batch_save(form_id, bills, &opts).await?;
            Ok(outcome.per_bill.into_iter().map(bill_result).collect())
        })
    }

    fn find<'a>(
        &'a self,
        form_id: &'a str,
        number_field: &'a str,
        numbers: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, String)>, Error>> {
        Box::pin(async move {
            let mut found = Vec::new();
            for chunk in numbers.chunks(100) {
                let rows = self
                    .client
                    .execute_bill_query_all(&BillQuery {
                        form_id: form_id.to_string(),
                        field_keys: vec![id_field(form_id).into(), number_field.to_string()],
                        filter: number_filter(number_field, chunk),
                        // A stable order, so that pages neither skip nor repeat rows.
                        order: id_field(form_id).into(),
                        limit: 2000,
                        ..BillQuery::default()
                    })
                    .await?;
                for row in rows {
                    if let (Some(id), Some(number)) = (
                        row.first().and_then(cell_text),
                        row.get(1).and_then(cell_text),
                    ) {
                        if !found.iter().any(|(n, _): &(String, String)| *n == number) {
                            found.push((number, id));
                        }
                    }
                }
            }
            Ok(found)
        })
    }

    fn step<'a>(
        &'a self,
        form_id: &'a str,
        step: Step,
        ids: &'a [String],
        options: &'a [(String, Value)],
    ) -> BoxFuture<'a, Result<Vec<StepResult>, Error>> {
        Box::pin(async move {
            let service = match step {
                Step::Submit => SERVICE_SUBMIT,
                Step::Audit => SERVICE_AUDIT,
            };
            self.client.operation(service, form_id, ids, options).await
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            self.client
                .execute_bill_query(&BillQuery {
                    form_id: self.check_form.clone(),
                    field_keys: vec![id_field(&self.check_form).into()],
                    filter: format!("{} = 0", id_field(&self.check_form)),
                    top: 1,
                    limit: 1,
                    ..BillQuery::default()
                })
                .await
                .map(|_| ())
        })
    }
}

/// The internal-id field of `form`: `FID` on bills, the base-data forms' own
/// key (`FMATERIALID` on 物料, which has no `FID`) on those a scheme writes.
fn id_field(form: &str) -> &'static str {
    const BASE_DATA: [(&str, &str); 5] = [
        ("BD_MATERIAL", "FMATERIALID"),
        ("BD_Supplier", "FSupplierId"),
        ("BD_Customer", "FCUSTID"),
        ("BD_STOCK", "FStockId"),
        ("BD_UNIT", "FUNITID"),
    ];
    BASE_DATA
        .iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(form))
        .map_or("FID", |(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_cells_lose_a_zero_fraction_only() {
        let cell = |t: &str| cell_text(&serde_json::from_str(t).unwrap());
        assert_eq!(cell("100001.0").as_deref(), Some("100001"));
        assert_eq!(cell("100001").as_deref(), Some("100001"));
        assert_eq!(cell("12.50").as_deref(), Some("12.50"));
        assert_eq!(cell("\"CG1\"").as_deref(), Some("CG1"));
        assert_eq!(cell("null"), None);
    }

    #[test]
    fn filters_quote_numbers() {
        assert_eq!(
            number_filter("FBillNo", &["A".into(), "O'B".into()]),
            "FBillNo in ('A','O''B')"
        );
    }
}
