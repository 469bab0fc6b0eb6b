//! One client, one namespace: every API call goes through [`Kube::call`], which counts it, retries it
//! with backoff when the server says so, and names its errors.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use sk8_backend::Error;

/// The first retry's delay; each next one doubles.
const FIRST_DELAY: Duration = Duration::from_millis(50);
/// Tries in all (the first and four retries).
pub(crate) const MAX_TRIES: u32 = 5;

/// Which failures a call may retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// 429 and 5xx only (creates: a 409 there means the object exists).
    Transient,
    /// Also 409 (idempotent steps: patches, deletes).
    Conflicts,
}

/// The client, the namespace, and the count of requests made.
pub(crate) struct Kube {
    pub(crate) client: Client,
    pub(crate) ns: String,
    requests: AtomicU64,
}

impl Kube {
    pub(crate) fn new(client: Client, ns: &str) -> Self {
        Self {
            client,
            ns: ns.to_string(),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests sent so far (every try counts).
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A namespaced typed API.
    pub(crate) fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// A namespaced dynamic API.
    pub(crate) fn dynamic(&self, ar: &ApiResource) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.ns, ar)
    }

    /// Runs `f` (one request), retrying per `retry` with exponential backoff.
    pub(crate) async fn call<T, F, Fut>(&self, retry: Retry, mut f: F) -> Result<T, kube::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let mut delay = FIRST_DELAY;
        let mut tries = 0;
        loop {
            tries += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) if tries < MAX_TRIES && retryable(&e, retry) => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A raw GET of `path` (with an `Accept` header), as JSON.
    pub(crate) async fn get_raw<T: DeserializeOwned>(
        &self,
        path: &str,
        accept: &str,
    ) -> Result<T, kube::Error> {
        self.call(Retry::Transient, || async {
            let mut req = kube::core::Request::new("")
                .get(path.trim_start_matches('/'), &Default::default())
                .map_err(kube::Error::BuildRequest)?;
            if let Ok(v) = accept.parse() {
                req.headers_mut().insert("accept", v);
            }
            self.client.request::<T>(req).await
        })
        .await
    }
}

/// The HTTP status of an API error.
pub(crate) fn code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Whether the error says the object is not there.
pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    code(e) == Some(404)
}

/// Whether the error is a conflict (stale resourceVersion, or already exists).
pub(crate) fn is_conflict(e: &kube::Error) -> bool {
    code(e) == Some(409)
}

fn retryable(e: &kube::Error, retry: Retry) -> bool {
    match code(e) {
        Some(429) => true,
        Some(c) if c >= 500 => true,
        Some(409) => retry == Retry::Conflicts,
        _ => false,
    }
}

/// An API failure in the commands' words: `Kubernetes API: <message>`.
pub(crate) fn kerr(e: kube::Error) -> Error {
    let msg = match &e {
        kube::Error::Api(s) if !s.message.is_empty() => s.message.clone(),
        kube::Error::Api(s) if !s.reason.is_empty() => format!("{} ({})", s.reason, s.code),
        kube::Error::Api(s) => format!("HTTP status {}", s.code),
        other => {
            // Transport errors say little at the top (`client error
            // (Connect)`); their causes say what happened.
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !text.contains(&cause_text) {
                    text = format!("{text}: {cause_text}");
                }
                source = cause.source();
            }
            text
        }
    };
    Error::Backend(format!("Kubernetes API: {msg}"))
}

/// The resource of a gang object (`apiVersion`, `kind`; the plural is the
/// lower-cased kind plus `s`, true of every kind sk8 creates or reads).
pub(crate) fn api_resource(api_version: &str, kind: &str) -> ApiResource {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    ApiResource {
        group: group.to_string(),
        version: version.to_string(),
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        plural: format!("{}s", kind.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: u16, message: &str, reason: &str) -> kube::Error {
        let mut s = kube::core::Status::failure(message, reason);
        s.code = code;
        kube::Error::Api(Box::new(s))
    }

    #[test]
    fn retry_policy() {
        let cases = [
            (429, Retry::Transient, true),
            (500, Retry::Transient, true),
            (503, Retry::Conflicts, true),
            (409, Retry::Transient, false),
            (409, Retry::Conflicts, true),
            (404, Retry::Conflicts, false),
            (422, Retry::Transient, false),
        ];
        for (c, r, want) in cases {
            assert_eq!(retryable(&api_error(c, "m", "R"), r), want, "{c} {r:?}");
        }
    }

    #[test]
    fn messages() {
        let cases = [
            (
                api_error(403, "forbidden: no", "Forbidden"),
                "Kubernetes API: forbidden: no",
            ),
            (
                api_error(500, "", "InternalError"),
                "Kubernetes API: InternalError (500)",
            ),
            (api_error(502, "", ""), "Kubernetes API: HTTP status 502"),
        ];
        for (e, want) in cases {
            assert_eq!(kerr(e).to_string(), want);
        }
    }

    #[test]
    fn gang_resources() {
        let ar = api_resource("scheduling.volcano.sh/v1beta1", "PodGroup");
        assert_eq!(
            (ar.group.as_str(), ar.version.as_str(), ar.plural.as_str()),
            ("scheduling.volcano.sh", "v1beta1", "podgroups")
        );
        let ar = api_resource("kueue.x-k8s.io/v1beta1", "Workload");
        assert_eq!(ar.plural, "workloads");
    }
}
