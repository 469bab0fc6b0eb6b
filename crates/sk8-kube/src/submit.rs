//! `sbatch`: job ids from the counter ConfigMap, then the objects of each job in an order that
//! leaves nothing behind when a call fails.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::time::Duration;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use kube::api::{Api, DeleteParams, DynamicObject, PostParams, PropagationPolicy};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sk8_backend::{Error, JobId, SubmitRequest};
use sk8_manifest::labels;
use sk8_manifest::names;
use sk8_manifest::{JobObjects, RenderError, RenderInput};
use sk8_spec::JobSpec;

use crate::api::{Retry, api_resource, is_conflict, kerr};
use crate::{KubeBackend, Result, now, unsupported};

/// Tries at the counter before giving up (conflicts are expected under
/// concurrent submits: each try re-reads it).
const ID_TRIES: u32 = 12;
/// The longest wait between two tries at the counter.
const MAX_ID_DELAY: Duration = Duration::from_secs(1);

/// One object created for a job.
enum Made {
    Secret(String),
    Service(String),
    /// apiVersion, kind, name.
    Gang(String, String, String),
    Pod(String),
}

/// What was created so far, to delete on failure.
#[derive(Default)]
pub(crate) struct Created {
    objects: Vec<Made>,
}

/// A random delay in `[d/2, d)`, so that conflicting submitters spread out.
fn jitter(d: Duration) -> Duration {
    let r = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let half = d / 2;
    half + Duration::from_nanos(r % u64::try_from(half.as_nanos()).unwrap_or(1).max(1))
}

/// The step token: 32 random bytes, hex.
pub(crate) fn token() -> Result<String> {
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::Backend(format!("cannot read `/dev/urandom`: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

pub(crate) fn render_err(e: RenderError) -> Error {
    match e {
        RenderError::Unsupported(opt) => unsupported(&opt),
        RenderError::Partition(p) => Error::InvalidPartition(p),
        RenderError::Invalid(msg) => Error::Invalid(msg),
    }
}

impl KubeBackend {
    pub(crate) async fn submit_async(&self, req: &SubmitRequest) -> Result<JobId> {
        let [spec] = req.jobs.as_slice() else {
            return Err(unsupported("a heterogeneous job"));
        };
        if let Some(opt) = sk8_manifest::unsupported(spec) {
            return Err(unsupported(&opt));
        }
        let mut spec = spec.clone();
        match &spec.partition {
            Some(p) if !self.cfg.partition_names().contains(p) => {
                return Err(Error::InvalidPartition(p.clone()));
            }
            Some(_) => {}
            None => spec.partition = Some(self.cfg.default_partition_name()),
        }
        let indices = spec.array.as_ref().map(|a| a.indices()).unwrap_or_default();
        let n = u32::try_from(indices.len().max(1))
            .map_err(|_| Error::Invalid("array too large".into()))?;
        let script = String::from_utf8_lossy(&req.script).into_owned();
        let (provider, user, first) = tokio::join!(
            self.provider_async(),
            self.whoami_async(),
            self.allocate_ids(n)
        );
        let (provider, first) = (provider?, first?);
        spec.user = user;
        let submit_time = now();
        let mut done = Vec::new();
        for k in 0..n {
            let id = first + k;
            let array = spec.array.as_ref().map(|_| (first, indices[k as usize]));
            let input = RenderInput {
                job_id: id,
                spec: &spec,
                script: &script,
                token: "",
                namespace: &self.kube.ns,
                provider,
                cluster: &sk8_backend::Backend::cluster(self),
                submit_time,
                array,
                hold: spec.hold,
            };
            match self.create_job(&input).await {
                Ok(()) => done.push(id),
                Err(e) => {
                    for id in done {
                        self.delete_record(id).await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(first)
    }

    /// Takes `n` consecutive ids from the counter ConfigMap; returns the first.
    pub(crate) async fn allocate_ids(&self, n: u32) -> Result<u32> {
        let api = self.kube.api::<ConfigMap>();
        let pp = PostParams::default();
        let mut delay = Duration::from_millis(50);
        for _ in 0..ID_TRIES {
            let current = self
                .kube
                .call(Retry::Transient, || api.get_opt(labels::COUNTER))
                .await
                .map_err(kerr)?;
            let res = match current {
                None => {
                    let cm = counter(1 + u64::from(n));
                    self.kube
                        .call(Retry::Transient, || api.create(&pp, &cm))
                        .await
                        .map(|_| 1)
                }
                Some(mut cm) => {
                    let next = cm
                        .data
                        .as_ref()
                        .and_then(|d| d.get(labels::COUNTER_KEY))
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .filter(|&v| v > 0)
                        .ok_or_else(|| {
                            Error::Backend(format!(
                                "Kubernetes API: ConfigMap `{}` has no valid `{}`",
                                labels::COUNTER,
                                labels::COUNTER_KEY
                            ))
                        })?;
                    let after = next.checked_add(n).ok_or_else(|| {
                        Error::Backend("Kubernetes API: job ids exhausted".into())
                    })?;
                    cm.data
                        .get_or_insert_with(BTreeMap::new)
                        .insert(labels::COUNTER_KEY.into(), after.to_string());
                    self.kube
                        .call(Retry::Transient, || api.replace(labels::COUNTER, &pp, &cm))
                        .await
                        .map(|_| next)
                }
            };
            match res {
                Ok(first) => return Ok(first),
                Err(e) if is_conflict(&e) => {
                    tokio::time::sleep(jitter(delay)).await;
                    delay = (delay * 2).min(MAX_ID_DELAY);
                }
                Err(e) => return Err(kerr(e)),
            }
        }
        Err(Error::Backend(format!(
            "Kubernetes API: ConfigMap `{}` stayed in conflict after {ID_TRIES} tries",
            labels::COUNTER
        )))
    }

    /// Renders and creates one job: record first, then what it owns.
    async fn create_job(&self, input: &RenderInput<'_>) -> Result<()> {
        let token = token()?;
        let input = RenderInput {
            token: &token,
            ..input.clone()
        };
        let mut objs = sk8_manifest::render(&input, &self.cfg).map_err(render_err)?;
        let record = self.create(&objs.record, true).await.map_err(kerr)?;
        let uid = record.metadata.uid.clone().unwrap_or_default();
        objs.set_owner(&uid);
        let mut created = Created::default();
        let res = self
            .create_owned(&objs, !input.hold, true, &mut created)
            .await;
        if let Err(e) = res {
            self.undo(&created).await;
            self.delete_record(input.job_id).await;
            return Err(e);
        }
        Ok(())
    }

    /// Creates the objects the record owns: the Secret and Service (when
    /// `all`), the gang object, and the pods (when `pods`).
    pub(crate) async fn create_owned(
        &self,
        objs: &JobObjects,
        pods: bool,
        all: bool,
        created: &mut Created,
    ) -> Result<()> {
        if all {
            self.create(&objs.secret, false).await.map_err(kerr)?;
            created.objects.push(Made::Secret(objs.secret.name_any()));
            self.create(&objs.service, false).await.map_err(kerr)?;
            created.objects.push(Made::Service(objs.service.name_any()));
        }
        if let Some(group) = &objs.pod_group {
            if pods {
                let (av, kind, name) = self.create_gang(group).await.map_err(kerr)?;
                created.objects.push(Made::Gang(av, kind, name));
            }
        }
        if pods {
            for pod in &objs.pods {
                self.create(pod, false).await.map_err(kerr)?;
                created.objects.push(Made::Pod(pod.name_any()));
            }
        }
        Ok(())
    }

    /// Creates a namespaced object; a conflict after a retried 5xx means
    /// the first try got through. Only the record is read back then (its
    /// uid is needed for the owner references; `get` on configmaps is
    /// granted anyway): for the other kinds what was sent stands, so the
    /// Role needs no `get` on them.
    async fn create<K>(&self, obj: &K, read_back: bool) -> Result<K, kube::Error>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + Debug
            + Serialize
            + DeserializeOwned,
    {
        let api: Api<K> = self.kube.api();
        let pp = PostParams::default();
        let tries = Cell::new(0u32);
        let res = self
            .kube
            .call(Retry::Transient, || {
                tries.set(tries.get() + 1);
                api.create(&pp, obj)
            })
            .await;
        match res {
            Err(e) if is_conflict(&e) && tries.get() > 1 && read_back => {
                let name = obj.meta().name.clone().unwrap_or_default();
                self.kube.call(Retry::Transient, || api.get(&name)).await
            }
            Err(e) if is_conflict(&e) && tries.get() > 1 => Ok(obj.clone()),
            other => other,
        }
    }

    /// Creates the gang object (a PodGroup); returns its apiVersion, kind, name.
    async fn create_gang(
        &self,
        group: &serde_json::Value,
    ) -> Result<(String, String, String), kube::Error> {
        let obj: DynamicObject =
            serde_json::from_value(group.clone()).map_err(kube::Error::SerdeError)?;
        let types = obj.types.clone().unwrap_or_default();
        let api = self
            .kube
            .dynamic(&api_resource(&types.api_version, &types.kind));
        let pp = PostParams::default();
        let tries = Cell::new(0u32);
        let res = self
            .kube
            .call(Retry::Transient, || {
                tries.set(tries.get() + 1);
                api.create(&pp, &obj)
            })
            .await;
        match res {
            // The first try got through before its answer was lost.
            Err(e) if is_conflict(&e) && tries.get() > 1 => {}
            other => {
                other?;
            }
        }
        Ok((types.api_version, types.kind, obj.name_any()))
    }

    /// Deletes what `created` lists, newest first (best effort: the record's
    /// deletion removes the rest through owner references).
    pub(crate) async fn undo(&self, created: &Created) {
        let dp = DeleteParams {
            grace_period_seconds: Some(0),
            ..DeleteParams::default()
        };
        for made in created.objects.iter().rev() {
            let _ = match made {
                Made::Pod(name) => self.delete_obj(&self.kube.api::<Pod>(), name, &dp).await,
                Made::Service(name) => {
                    self.delete_obj(&self.kube.api::<Service>(), name, &dp)
                        .await
                }
                Made::Secret(name) => self.delete_obj(&self.kube.api::<Secret>(), name, &dp).await,
                Made::Gang(av, kind, name) => {
                    let api = self.kube.dynamic(&api_resource(av, kind));
                    self.delete_obj(&api, name, &dp).await
                }
            };
        }
    }

    /// Deletes one object; a missing one is not an error.
    pub(crate) async fn delete_obj<K>(
        &self,
        api: &Api<K>,
        name: &str,
        dp: &DeleteParams,
    ) -> Result<(), kube::Error>
    where
        K: Resource + Clone + Debug + DeserializeOwned,
    {
        match self
            .kube
            .call(Retry::Conflicts, || api.delete(name, dp))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if crate::api::is_not_found(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes a job's record, and with it (background propagation) all it owns.
    pub(crate) async fn delete_record(&self, id: JobId) {
        let dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        let _ = self
            .delete_obj(&self.kube.api::<ConfigMap>(), &names::record_name(id), &dp)
            .await;
    }

    /// Renders a job again from its record (release, requeue, update), with
    /// the spec given (or the stored one).
    pub(crate) async fn rerender(
        &self,
        record: &ConfigMap,
        spec: Option<&JobSpec>,
    ) -> Result<JobObjects> {
        let (stored, script) = sk8_manifest::spec_of(record)
            .map_err(|e| Error::Backend(format!("Kubernetes API: {e}")))?;
        let label = |k: &str| record.labels().get(k).and_then(|v| v.parse::<u32>().ok());
        let id = label(labels::JOB_ID).ok_or_else(|| {
            Error::Backend(format!(
                "Kubernetes API: record `{}` has no job id",
                record.name_any()
            ))
        })?;
        // The environment lives in the job's Secret, not in its record.
        let secrets = self.kube.api::<Secret>();
        let secret_name = names::secret_name(id);
        let secret = self
            .kube
            .call(Retry::Transient, || secrets.get(&secret_name))
            .await
            .map_err(kerr)?;
        let mut spec = spec.cloned().unwrap_or(stored);
        spec.environment = sk8_manifest::environment_of(&secret)
            .map_err(|e| Error::Backend(format!("Kubernetes API: {e}")))?;
        let spec = &spec;
        let array = label(labels::ARRAY_JOB_ID).zip(label(labels::ARRAY_TASK_ID));
        let submit_time = record
            .data
            .as_ref()
            .and_then(|d| d.get(labels::DATA_SUBMIT_TIME))
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(now);
        let provider = self.provider_async().await?;
        let input = RenderInput {
            job_id: id,
            spec,
            script: &script,
            token: "",
            namespace: &self.kube.ns,
            provider,
            cluster: &sk8_backend::Backend::cluster(self),
            submit_time,
            array,
            hold: false,
        };
        let mut objs = sk8_manifest::render(&input, &self.cfg).map_err(render_err)?;
        objs.set_owner(record.metadata.uid.as_deref().unwrap_or_default());
        Ok(objs)
    }

    /// Creates a job's gang object and pods again (after hold, requeue, update).
    pub(crate) async fn respawn(&self, record: &ConfigMap, spec: Option<&JobSpec>) -> Result<()> {
        let objs = self.rerender(record, spec).await?;
        let mut created = Created::default();
        let res = self.create_owned(&objs, true, false, &mut created).await;
        if res.is_err() {
            self.undo(&created).await;
        }
        res
    }
}

fn counter(next: u64) -> ConfigMap {
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some(labels::COUNTER.to_string());
    cm.metadata.labels = Some(BTreeMap::from([(
        labels::MANAGED_BY.to_string(),
        labels::MANAGED_BY_VALUE.to_string(),
    )]));
    cm.data = Some(BTreeMap::from([(
        labels::COUNTER_KEY.to_string(),
        next.to_string(),
    )]));
    cm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_and_differ() {
        let (a, b) = (token().unwrap(), token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn jitter_stays_in_range() {
        for ms in [2u64, 50, 400, 1000] {
            let d = Duration::from_millis(ms);
            let j = jitter(d);
            assert!(j >= d / 2 && j < d, "{ms}: {j:?}");
        }
    }
}
