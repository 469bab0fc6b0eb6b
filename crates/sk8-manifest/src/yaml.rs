//! Objects to YAML with a stable key order and no nulls.
//!
//! Objects go through `serde_json::Value` (which drops nothing but makes
//! nulls visible), nulls are removed, and maps are written with
//! `apiVersion`, `kind`, `metadata` and `name` first, the rest sorted.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// Keys written before all others, in this order.
const FIRST: [&str; 4] = ["apiVersion", "kind", "metadata", "name"];

/// `x` as a JSON value without nulls.
pub fn object<T: Serialize>(x: &T) -> Value {
    let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
    strip_nulls(&mut v);
    v
}

/// Removes null members of maps, recursively.
pub fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// A value serialized with [`FIRST`] keys first.
struct Ordered<'a>(&'a Value);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for k in FIRST {
                    if let Some(v) = m.get(k) {
                        map.serialize_entry(k, &Ordered(v))?;
                    }
                }
                for (k, v) in m.iter().filter(|(k, _)| !FIRST.contains(&k.as_str())) {
                    map.serialize_entry(k, &Ordered(v))?;
                }
                map.end()
            }
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(&Ordered(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// YAML documents separated by `---`.
pub fn documents(docs: &[Value]) -> String {
    let mut out = String::new();
    for d in docs {
        let mut d = d.clone();
        strip_nulls(&mut d);
        out.push_str("---\n");
        match serde_saphyr::to_string(&Ordered(&d)) {
            Ok(y) => out.push_str(&y),
            Err(e) => out.push_str(&format!("# cannot write this object: {e}\n")),
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
