//! Saved bills, in memory for the life of the process.
//!
//! Each form keeps its bills in save order with an index by bill number
//! (unique per form, like Kingdee's `FBillNo` rule) and by internal id
//! (`FID`). Ids start at 100001 per form; entry rows get `FEntryID`s from
//! one counter. A bill sent without `FBillNo` is numbered `CGDD000001`,
//! `QTRK000001`, … (Kingdee's default coding rules for the two forms).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::forms::{get_ci, key_ci, value_text, FormSpec};

/// A saved bill.
#[derive(Clone, Debug)]
pub(crate) struct Bill {
    pub id: i64,
    pub number: String,
    /// `FDocumentStatus`: `A` created (暂存/创建), `C` audited.
    pub status: &'static str,
    /// The model as sent, dates normalised, with `FID`, `FBillNo`,
    /// `FDocumentStatus` and entry `FEntryID`s filled in.
    pub data: Map<String, Value>,
    /// `YYYY-MM-DDTHH:MM:SS` (UTC+8).
    pub created: String,
    pub modified: String,
}

impl PartialEq for Bill {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.number == other.number && self.data == other.data
    }
}

#[derive(Debug, Default)]
struct FormBills {
    bills: Vec<Bill>,
    by_number: HashMap<String, usize>,
    by_id: HashMap<i64, usize>,
    next_id: i64,
    next_auto_number: u64,
}

/// Why a bill was not saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SaveError {
    /// `FBillNo` already used.
    Duplicate(String),
    /// `FID` names no bill.
    NoSuchId(i64),
}

pub(crate) struct BillStore {
    forms: Mutex<HashMap<String, FormBills>>,
    next_entry_id: Mutex<i64>,
}

fn form_key(form: &str) -> String {
    form.to_ascii_uppercase()
}

fn auto_prefix(form: &str) -> &'static str {
    match form_key(form).as_str() {
        "PUR_PURCHASEORDER" => "CGDD",
        "STK_MISCELLANEOUS" => "QTRK",
        _ => "BILL",
    }
}

/// The bill's internal id if it names one (`FID` > 0).
pub(crate) fn bill_fid(data: &Map<String, Value>) -> Option<i64> {
    let v = get_ci(data, "FID")?;
    let n: i64 = value_text(v)?.trim().parse().ok()?;
    (n > 0).then_some(n)
}

impl std::fmt::Debug for BillStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts: HashMap<String, usize> = self
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.bills.len()))
            .collect();
        f.debug_struct("BillStore").field("bills", &counts).finish()
    }
}

impl BillStore {
    pub(crate) fn new() -> Self {
        BillStore {
            forms: Mutex::new(HashMap::new()),
            next_entry_id: Mutex::new(100_001),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, FormBills>> {
        self.forms.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn assign_entry_ids(&self, spec: &FormSpec, data: &mut Map<String, Value>) {
        let mut next = self.next_entry_id.lock().unwrap_or_else(|e| e.into_inner());
        for entry in spec.entries() {
            let Some(k) = key_ci(data, &entry.name) else {
                continue;
            };
            if let Some(Value::Array(rows)) = data.get_mut(&k) {
                for row in rows.iter_mut() {
                    if let Value::Object(r) = row {
                        let has_id = get_ci(r, "FEntryID")
                            .and_then(value_text)
                            .and_then(|t| t.parse::<i64>().ok())
                            .is_some_and(|n| n > 0);
                        if !has_id {
                            let k = key_ci(r, "FEntryID").unwrap_or_else(|| "FEntryID".to_owned());
                            r.insert(k, Value::from(*next));
                            *next += 1;
                        }
                    }
                }
            }
        }
    }

    /// Saves one bill (new, or an update of `FID`), returning the stored copy.
    pub(crate) fn save(
        &self,
        spec: &FormSpec,
        mut data: Map<String, Value>,
        audit: bool,
        now: &str,
    ) -> Result<Bill, SaveError> {
        let number_field = spec.number_field.as_str();
        let given_number = get_ci(&data, number_field)
            .and_then(value_text)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let status = if audit { "C" } else { "A" };
        self.assign_entry_ids(spec, &mut data);
        let mut forms = self.lock();
        let bills = forms
            .entry(form_key(&spec.form_id))
            .or_insert_with(|| FormBills {
                next_id: 100_001,
                next_auto_number: 1,
                ..FormBills::default()
            });

        if let Some(fid) = bill_fid(&data) {
            let Some(&pos) = bills.by_id.get(&fid) else {
                return Err(SaveError::NoSuchId(fid));
            };
            let old_number = bills.bills[pos].number.clone();
            let number = given_number.unwrap_or_else(|| old_number.clone());
            if number != old_number && bills.by_number.contains_key(&number) {
                return Err(SaveError::Duplicate(number));
            }
            let bill = &mut bills.bills[pos];
            for (k, v) in data {
                let k = key_ci(&bill.data, &k).unwrap_or(k);
                bill.data.insert(k, v);
            }
            set_system_fields(&mut bill.data, fid, &number, status, number_field);
            bill.number = number.clone();
            bill.status = status;
            bill.modified = now.to_owned();
            let bill = bill.clone();
            bills.by_number.remove(&old_number);
            bills.by_number.insert(number, pos);
            return Ok(bill);
        }

        let number = match given_number {
            Some(n) => {
                if bills.by_number.contains_key(&n) {
                    return Err(SaveError::Duplicate(n));
                }
                n
            }
            None => loop {
                let n = format!(
                    "{}{:06}",
                    auto_prefix(&spec.form_id),
                    bills.next_auto_number
                );
                bills.next_auto_number += 1;
                if !bills.by_number.contains_key(&n) {
                    break n;
                }
            },
        };
        let id = bills.next_id;
        bills.next_id += 1;
        set_system_fields(&mut data, id, &number, status, number_field);
        let bill = Bill {
            id,
            number: number.clone(),
            status,
            data,
            created: now.to_owned(),
            modified: now.to_owned(),
        };
        let pos = bills.bills.len();
        bills.bills.push(bill.clone());
        bills.by_number.insert(number, pos);
        bills.by_id.insert(id, pos);
        Ok(bill)
    }

    /// Every bill of `form`, in save order.
    pub(crate) fn all(&self, form: &str) -> Vec<Bill> {
        self.lock()
            .get(&form_key(form))
            .map(|f| f.bills.clone())
            .unwrap_or_default()
    }

    pub(crate) fn count(&self, form: &str) -> usize {
        self.lock()
            .get(&form_key(form))
            .map_or(0, |f| f.bills.len())
    }

    pub(crate) fn by_number(&self, form: &str, number: &str) -> Option<Bill> {
        let forms = self.lock();
        let f = forms.get(&form_key(form))?;
        f.by_number.get(number).map(|&p| f.bills[p].clone())
    }

    pub(crate) fn by_id(&self, form: &str, id: i64) -> Option<Bill> {
        let forms = self.lock();
        let f = forms.get(&form_key(form))?;
        f.by_id.get(&id).map(|&p| f.bills[p].clone())
    }
}

fn set_system_fields(
    data: &mut Map<String, Value>,
    id: i64,
    number: &str,
    status: &str,
    number_field: &str,
) {
    let k = key_ci(data, "FID").unwrap_or_else(|| "FID".to_owned());
    data.insert(k, Value::from(id));
    let k = key_ci(data, number_field).unwrap_or_else(|| number_field.to_owned());
    data.insert(k, Value::String(number.to_owned()));
    let k = key_ci(data, "FDocumentStatus").unwrap_or_else(|| "FDocumentStatus".to_owned());
    data.insert(k, Value::String(status.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> FormSpec {
        FormSpec::builtin().into_iter().next().unwrap()
    }

    fn bill(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn numbers_are_unique_and_generated() {
        let s = BillStore::new();
        let spec = spec();
        let now = "2024-01-02T10:00:00";
        let a = s
            .save(
                &spec,
                bill(json!({"FBillNo": "CG001", "FPOOrderEntry": [{"FQty": 1}, {"FQty": 2}]})),
                true,
                now,
            )
            .unwrap();
        assert_eq!((a.id, a.number.as_str(), a.status), (100_001, "CG001", "C"));
        assert_eq!(a.data["FPOOrderEntry"][1]["FEntryID"], 100_002);
        assert_eq!(
            s.save(&spec, bill(json!({"FBillNo": "CG001"})), false, now),
            Err(SaveError::Duplicate("CG001".into()))
        );
        let b = s.save(&spec, bill(json!({})), false, now).unwrap();
        assert_eq!(b.number, "CGDD000001");
        assert_eq!(s.count("pur_purchaseorder"), 2);
        assert_eq!(
            s.by_number("PUR_PurchaseOrder", "CG001").unwrap().id,
            100_001
        );
    }

    #[test]
    fn fid_updates_in_place() {
        let s = BillStore::new();
        let spec = spec();
        let now = "2024-01-02T10:00:00";
        let a = s
            .save(
                &spec,
                bill(json!({"FBillNo": "X1", "FNote": "a"})),
                false,
                now,
            )
            .unwrap();
        let b = s
            .save(&spec, bill(json!({"FID": a.id, "FNote": "b"})), false, now)
            .unwrap();
        assert_eq!((b.id, b.number.as_str()), (a.id, "X1"));
        assert_eq!(b.data["FNote"], "b");
        assert_eq!(s.count("PUR_PurchaseOrder"), 1);
        assert_eq!(
            s.save(&spec, bill(json!({"FID": 5})), false, now),
            Err(SaveError::NoSuchId(5))
        );
    }
}
