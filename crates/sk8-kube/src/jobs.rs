//! Reading jobs (records, pods, gang objects) and acting on them: cancel, hold, release, requeue,
//! update, and the housekeeping each listing does.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};
use sk8_backend::{Error, JobFilter, JobId, JobInfo, JobRef, JobState, JobUpdate};
use sk8_manifest::labels;
use sk8_manifest::names;
use sk8_manifest::status::{FinalState, Observed, job_info};

use crate::api::{Retry, api_resource, is_not_found, kerr};
use crate::{KubeBackend, Result, now, unsupported};

/// Record annotation: times the job was requeued.
pub const RESTARTS: &str = "sk8.dev/restarts";
/// Record annotation: why sk8 last requeued the job.
pub const REQUEUE_REASON: &str = "sk8.dev/requeue-reason";

/// The gang objects sk8 reads, by the pod marker that says they exist:
/// (marker is a label (else an annotation), marker, apiVersion, kind).
const GANGS: &[(bool, &str, &str, &str)] = &[
    (
        false,
        labels::VOLCANO_GROUP,
        "scheduling.volcano.sh/v1beta1",
        "PodGroup",
    ),
    (
        true,
        labels::COSCHED_GROUP,
        "scheduling.x-k8s.io/v1alpha1",
        "PodGroup",
    ),
];
/// Kueue's Workload (named after the pod group).
const WORKLOAD: (&str, &str) = ("kueue.x-k8s.io/v1beta1", "Workload");

/// Everything read about a set of jobs.
#[derive(Default)]
pub(crate) struct Snapshot {
    records: Vec<ConfigMap>,
    pods: Vec<Pod>,
    groups: Vec<Value>,
    workloads: Vec<Value>,
}

fn label<'a>(obj: &'a impl Resource, key: &str) -> Option<&'a str> {
    obj.meta().labels.as_ref()?.get(key).map(String::as_str)
}

fn annotation<'a>(obj: &'a impl Resource, key: &str) -> Option<&'a str> {
    obj.meta()
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

fn job_id(obj: &impl Resource) -> Option<JobId> {
    label(obj, labels::JOB_ID)?.parse().ok()
}

fn has_marker(pod: &Pod, is_label: bool, key: &str) -> bool {
    if is_label {
        label(pod, key).is_some()
    } else {
        annotation(pod, key).is_some()
    }
}

fn terminated(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

fn bound(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

fn deleting(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

fn created_at(pod: &Pod) -> Option<i64> {
    pod.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.as_second())
}

fn name_of(v: &Value) -> &str {
    v["metadata"]["name"].as_str().unwrap_or_default()
}

/// The selector of every record and pod sk8 made (the counter has no job id).
fn base_selector() -> String {
    format!(
        "{}={},{}",
        labels::MANAGED_BY,
        labels::MANAGED_BY_VALUE,
        labels::JOB_ID
    )
}

fn selector_for(job: JobRef) -> String {
    let base = base_selector();
    match job.task {
        Some(t) => format!(
            "{base},{}={},{}={t}",
            labels::ARRAY_JOB_ID,
            job.id,
            labels::ARRAY_TASK_ID
        ),
        None => format!("{base},{}={}", labels::JOB_ID, job.id),
    }
}

impl Snapshot {
    fn pods_of(&self, id: JobId) -> Vec<&Pod> {
        self.pods
            .iter()
            .filter(|p| job_id(*p) == Some(id))
            .collect()
    }

    fn group_of(&self, id: JobId) -> Option<&Value> {
        let name = names::record_name(id);
        self.groups.iter().find(|g| name_of(g) == name)
    }

    fn workload_of(&self, id: JobId) -> Option<&Value> {
        let pods = self.pods_of(id);
        let group = pods.iter().find_map(|p| label(*p, labels::KUEUE_POD_GROUP));
        let uids: Vec<&str> = pods
            .iter()
            .filter_map(|p| p.metadata.uid.as_deref())
            .collect();
        self.workloads.iter().find(|w| {
            group.is_some_and(|g| name_of(w) == g)
                || w["metadata"]["ownerReferences"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|o| o["uid"].as_str().is_some_and(|u| uids.contains(&u)))
        })
    }

    fn info(
        &self,
        record: &ConfigMap,
        cfg: &sk8_manifest::config::KubeConfig,
        now: i64,
    ) -> Option<JobInfo> {
        let id = job_id(record)?;
        let obs = Observed {
            record,
            pods: self.pods_of(id),
            pod_group: self.group_of(id),
            workload: self.workload_of(id),
        };
        let mut info = job_info(&obs, cfg, now).ok()?;
        if let Some(n) = annotation(record, RESTARTS).and_then(|r| r.parse().ok()) {
            info.restarts = n;
        }
        Some(info)
    }
}

impl KubeBackend {
    /// Lists the records and pods `selector` picks, and the gang objects their pods name.
    async fn snapshot(&self, selector: &str) -> Result<Snapshot> {
        let lp = ListParams::default().labels(selector);
        let (cms, pods) = (self.kube.api::<ConfigMap>(), self.kube.api::<Pod>());
        let (records, pods) = tokio::join!(
            self.kube.call(Retry::Transient, || cms.list(&lp)),
            self.kube.call(Retry::Transient, || pods.list(&lp)),
        );
        let mut snap = Snapshot {
            records: records.map_err(kerr)?.items,
            pods: pods.map_err(kerr)?.items,
            ..Snapshot::default()
        };
        let ours = ListParams::default().labels(&base_selector());
        for (is_label, marker, av, kind) in GANGS {
            if snap.pods.iter().any(|p| has_marker(p, *is_label, marker)) {
                snap.groups
                    .extend(self.list_dynamic(av, kind, &ours).await?);
            }
        }
        let all = ListParams::default();
        if snap
            .pods
            .iter()
            .any(|p| label(p, labels::KUEUE_POD_GROUP).is_some())
        {
            snap.workloads = self.list_dynamic(WORKLOAD.0, WORKLOAD.1, &all).await?;
        }
        Ok(snap)
    }

    /// Lists a gang resource; one the server does not serve lists nothing.
    async fn list_dynamic(&self, av: &str, kind: &str, lp: &ListParams) -> Result<Vec<Value>> {
        let api = self.kube.dynamic(&api_resource(av, kind));
        match self.kube.call(Retry::Transient, || api.list(lp)).await {
            Ok(list) => Ok(list
                .items
                .into_iter()
                .filter_map(|o| serde_json::to_value(o).ok())
                .collect()),
            Err(e) if is_not_found(&e) => Ok(Vec::new()),
            Err(e) => Err(kerr(e)),
        }
    }

    /// The snapshot of one job reference: an array's id brings all its tasks.
    async fn snapshot_for(&self, job: JobRef) -> Result<Snapshot> {
        let snap = self.snapshot(&selector_for(job)).await?;
        let is_array = job.task.is_none()
            && snap.records.iter().any(|r| {
                label(r, labels::ARRAY_JOB_ID).and_then(|v| v.parse().ok()) == Some(job.id)
            });
        if !is_array {
            return Ok(snap);
        }
        self.snapshot(&format!(
            "{},{}={}",
            base_selector(),
            labels::ARRAY_JOB_ID,
            job.id
        ))
        .await
    }

    pub(crate) async fn jobs_async(&self, filter: &JobFilter) -> Result<Vec<JobInfo>> {
        let mut snap = match filter.ids.as_slice() {
            [one] => self.snapshot_for(*one).await?,
            _ => {
                let mut sel = base_selector();
                if let [user] = filter.users.as_slice() {
                    sel.push_str(&format!(",{}={}", labels::USER, names::label_value(user)));
                }
                if let [p] = filter.partitions.as_slice() {
                    sel.push_str(&format!(",{}={}", labels::PARTITION, names::label_value(p)));
                }
                self.snapshot(&sel).await?
            }
        };
        let now = now();
        self.housekeep(&mut snap, now).await?;
        let mut out: Vec<JobInfo> = snap
            .records
            .iter()
            .filter_map(|r| snap.info(r, &self.cfg, now))
            .filter(|i| filter.matches(i))
            .collect();
        out.sort_by_key(|i| i.id);
        Ok(out)
    }

    /// The jobs one reference names (all tasks of an array), with the snapshot.
    pub(crate) async fn resolve(&self, job: JobRef) -> Result<(Snapshot, Vec<JobInfo>)> {
        let mut snap = self.snapshot_for(job).await?;
        let now = now();
        self.housekeep(&mut snap, now).await?;
        let mut infos: Vec<JobInfo> = snap
            .records
            .iter()
            .filter_map(|r| snap.info(r, &self.cfg, now))
            .collect();
        if infos.is_empty() {
            return Err(Error::InvalidJobId);
        }
        infos.sort_by_key(|i| i.id);
        Ok((snap, infos))
    }

    /// The duties of every listing: record final states, end the helper
    /// pods of finished jobs, requeue unplaced jobs without a gang
    /// scheduler, prune records older than `min_job_age_secs`.
    async fn housekeep(&self, snap: &mut Snapshot, now: i64) -> Result<()> {
        let mut pruned = Vec::new();
        for i in 0..snap.records.len() {
            let Some(id) = job_id(&snap.records[i]) else {
                continue;
            };
            let rank0 = snap
                .pods_of(id)
                .into_iter()
                .find(|p| label(*p, labels::RANK) == Some("0"));
            let rank0_done = rank0.is_some_and(terminated);
            let has_final = annotation(&snap.records[i], labels::STATE).is_some();
            // A final state, seen once, is written into the record.
            let final_state = if !has_final && rank0_done {
                let obs = Observed {
                    record: &snap.records[i],
                    pods: rank0.into_iter().collect(),
                    pod_group: snap.group_of(id),
                    workload: snap.workload_of(id),
                };
                job_info(&obs, &self.cfg, now)
                    .ok()
                    .filter(|i| i.state.is_finished())
                    .map(|info| FinalState {
                        state: info.state,
                        exit: (info.exit.code, info.exit.signal),
                        end: info.end_time.unwrap_or(now),
                        reason: info.reason,
                    })
            } else {
                None
            };
            if let Some(fs) = final_state {
                snap.records[i] = self
                    .annotate(id, &[(labels::STATE, Some(state_json(&fs)))])
                    .await?;
            }
            // The other ranks wait for rank 0: end them once it has ended.
            let done = rank0_done || annotation(&snap.records[i], labels::STATE).is_some();
            let helpers: Vec<String> = snap
                .pods_of(id)
                .into_iter()
                .filter(|p| done && !terminated(p) && !deleting(p))
                .map(|p| p.name_any())
                .collect();
            if !helpers.is_empty() {
                let dp = self.grace(None);
                for name in &helpers {
                    self.delete_obj(&self.kube.api::<Pod>(), name, &dp)
                        .await
                        .map_err(kerr)?;
                }
                snap.pods.retain(|p| !helpers.contains(&p.name_any()));
            }
            // No gang scheduler: a multi-node job not placed in time is requeued.
            let pods = snap.pods_of(id);
            let gang = pods.iter().any(|p| {
                GANGS.iter().any(|(l, m, _, _)| has_marker(p, *l, m))
                    || label(*p, labels::KUEUE_POD_GROUP).is_some()
            });
            let oldest = pods.iter().filter_map(|p| created_at(p)).min();
            if !done
                && !gang
                && pods.len() > 1
                && pods.iter().any(|p| !bound(p))
                && oldest.is_some_and(|t| now - t > self.cfg.bind_timeout_secs)
            {
                let record = snap.records[i].clone();
                let reason = format!(
                    "not all {} pods were placed within {}s (no gang scheduler)",
                    pods.len(),
                    self.cfg.bind_timeout_secs
                );
                snap.records[i] = self.requeue_one(&record, Some(&reason)).await?;
                let fresh = self.snapshot(&selector_for(JobRef::job(id))).await?;
                snap.pods.retain(|p| job_id(p) != Some(id));
                snap.pods.extend(fresh.pods);
            }
            // Old finished records go (Slurm's MinJobAge).
            if let Some(info) = snap.info(&snap.records[i], &self.cfg, now) {
                let end = info.end_time.unwrap_or(now);
                if info.state.is_finished() && now - end > self.cfg.min_job_age_secs {
                    self.delete_record(id).await;
                    pruned.push(id);
                }
            }
        }
        snap.records
            .retain(|r| job_id(r).is_none_or(|id| !pruned.contains(&id)));
        snap.pods
            .retain(|p| job_id(p).is_none_or(|id| !pruned.contains(&id)));
        Ok(())
    }

    /// Delete options with the grace period `secs` (else the config's).
    fn grace(&self, secs: Option<u32>) -> DeleteParams {
        let g =
            secs.unwrap_or_else(|| u32::try_from(self.cfg.grace_period_secs.max(0)).unwrap_or(30));
        DeleteParams {
            grace_period_seconds: Some(g),
            ..DeleteParams::default()
        }
    }

    /// Sets (`Some`) or removes (`None`) annotations of a job's record.
    async fn annotate(&self, id: JobId, set: &[(&str, Option<String>)]) -> Result<ConfigMap> {
        let annotations: serde_json::Map<String, Value> = set
            .iter()
            .map(|(k, v)| {
                (
                    (*k).to_string(),
                    v.clone().map_or(Value::Null, Value::String),
                )
            })
            .collect();
        let patch = json!({ "metadata": { "annotations": annotations } });
        let api = self.kube.api::<ConfigMap>();
        let pp = PatchParams::default();
        let name = names::record_name(id);
        let merge = Patch::Merge(&patch);
        self.kube
            .call(Retry::Conflicts, || api.patch(&name, &pp, &merge))
            .await
            .map_err(kerr)
    }

    /// Deletes a job's pods (and gang object, when `gang`).
    async fn delete_pods(
        &self,
        snap: &Snapshot,
        id: JobId,
        dp: &DeleteParams,
        gang: bool,
    ) -> Result<()> {
        for pod in snap.pods_of(id) {
            if !deleting(pod) || dp.grace_period_seconds == Some(0) {
                self.delete_obj(&self.kube.api::<Pod>(), &pod.name_any(), dp)
                    .await
                    .map_err(kerr)?;
            }
        }
        if gang {
            if let Some(g) = snap.group_of(id) {
                let ar = api_resource(
                    g["apiVersion"].as_str().unwrap_or_default(),
                    g["kind"].as_str().unwrap_or_default(),
                );
                self.delete_obj(&self.kube.dynamic(&ar), name_of(g), dp)
                    .await
                    .map_err(kerr)?;
            }
        }
        Ok(())
    }

    /// `scancel`: the record says CANCELLED first, then the pods go
    /// (pending ones at once, running ones with the grace period).
    pub(crate) async fn cancel(&self, job: JobRef, grace: Option<u32>) -> Result<()> {
        let (snap, infos) = self.resolve(job).await?;
        let live: Vec<&JobInfo> = infos.iter().filter(|i| !i.state.is_finished()).collect();
        if live.is_empty() {
            return Err(Error::AlreadyDone);
        }
        let now = now();
        for info in live {
            let pending = info.state == JobState::Pending;
            let fs = FinalState {
                state: JobState::Cancelled,
                exit: if pending { (0, 0) } else { (0, 15) },
                end: now,
                reason: "None".to_string(),
            };
            self.annotate(info.id, &[(labels::STATE, Some(state_json(&fs)))])
                .await?;
            let dp = self.grace(if pending { Some(0) } else { grace });
            self.delete_pods(&snap, info.id, &dp, true).await?;
        }
        Ok(())
    }

    /// `scontrol hold`: pending jobs only; their pods (and gang object) go.
    pub(crate) async fn hold_async(&self, job: JobRef, user: bool) -> Result<()> {
        let (snap, infos) = self.resolve(job).await?;
        let not_pending = || Error::Invalid("Job is no longer pending execution".into());
        for info in &infos {
            if info.state != JobState::Pending || snap.pods_of(info.id).into_iter().any(bound) {
                return Err(not_pending());
            }
        }
        for info in &infos {
            let who = if user { "user" } else { "admin" };
            self.annotate(info.id, &[(labels::HOLD, Some(who.to_string()))])
                .await?;
            self.delete_pods(&snap, info.id, &self.grace(Some(0)), true)
                .await?;
        }
        Ok(())
    }

    /// `scontrol release`: the hold goes, and the pods are created again.
    pub(crate) async fn release_async(&self, job: JobRef) -> Result<()> {
        let (snap, infos) = self.resolve(job).await?;
        for info in &infos {
            if info.state != JobState::Pending {
                return Err(Error::Invalid("Job is no longer pending execution".into()));
            }
        }
        for info in &infos {
            let Some(record) = snap.records.iter().find(|r| job_id(*r) == Some(info.id)) else {
                continue;
            };
            if annotation(record, labels::HOLD).is_none() {
                continue;
            }
            let record = self.annotate(info.id, &[(labels::HOLD, None)]).await?;
            if snap.pods_of(info.id).is_empty() {
                self.respawn(&record, None).await?;
            }
        }
        Ok(())
    }

    /// `scontrol requeue`: running or finished jobs start over.
    pub(crate) async fn requeue_async(&self, job: JobRef) -> Result<()> {
        let (snap, infos) = self.resolve(job).await?;
        if infos.iter().any(|i| i.state == JobState::Pending) {
            return Err(Error::InvalidState);
        }
        for info in &infos {
            if let Some(record) = snap.records.iter().find(|r| job_id(*r) == Some(info.id)) {
                self.delete_pods(&snap, info.id, &self.grace(Some(0)), true)
                    .await?;
                self.requeue_one(record, None).await?;
            }
        }
        Ok(())
    }

    /// Starts a job over: its pods (and gang object) are deleted, its final
    /// state cleared, the restart count bumped, the pods created again.
    async fn requeue_one(&self, record: &ConfigMap, reason: Option<&str>) -> Result<ConfigMap> {
        let id = job_id(record).ok_or(Error::InvalidJobId)?;
        let snap = self.snapshot(&selector_for(JobRef::job(id))).await?;
        self.delete_pods(&snap, id, &self.grace(Some(0)), true)
            .await?;
        let restarts = annotation(record, RESTARTS)
            .and_then(|r| r.parse::<u32>().ok())
            .unwrap_or(0);
        let record = self
            .annotate(
                id,
                &[
                    (labels::STATE, None),
                    (RESTARTS, Some((restarts + 1).to_string())),
                    (REQUEUE_REASON, reason.map(str::to_string)),
                ],
            )
            .await?;
        self.respawn(&record, None).await?;
        Ok(record)
    }

    /// `scontrol update`: a pending job's time limit, name or partition; the
    /// record's spec is rewritten and its pods (if any) created again.
    pub(crate) async fn update_async(&self, job: JobRef, upd: &JobUpdate) -> Result<()> {
        if upd.nice.is_some() {
            return Err(unsupported("scontrol update Nice"));
        }
        if let Some(p) = upd
            .partition
            .as_ref()
            .filter(|p| !self.cfg.partition_names().contains(p))
        {
            return Err(Error::InvalidPartition(p.clone()));
        }
        let (snap, infos) = self.resolve(job).await?;
        for info in &infos {
            if info.state.is_finished() {
                return Err(Error::AlreadyDone);
            }
            if info.state != JobState::Pending || snap.pods_of(info.id).into_iter().any(bound) {
                return Err(Error::Invalid("Job is no longer pending execution".into()));
            }
        }
        for info in &infos {
            let Some(record) = snap.records.iter().find(|r| job_id(*r) == Some(info.id)) else {
                continue;
            };
            let (mut spec, _) = sk8_manifest::spec_of(record)
                .map_err(|e| Error::Backend(format!("Kubernetes API: {e}")))?;
            if let Some(t) = upd.time_limit {
                spec.time_limit = Some(t);
            }
            if let Some(n) = &upd.name {
                spec.name.clone_from(n);
            }
            if let Some(p) = &upd.partition {
                spec.partition = Some(p.clone());
            }
            let objs = self.rerender(record, Some(&spec)).await?;
            let patch = json!({
                "metadata": { "labels": objs.record.metadata.labels },
                "data": objs.record.data.as_ref().map(|d| {
                    d.iter()
                        .filter(|(k, _)| k.as_str() == labels::DATA_SPEC)
                        .collect::<BTreeMap<_, _>>()
                }),
            });
            let api = self.kube.api::<ConfigMap>();
            let pp = PatchParams::default();
            let name = names::record_name(info.id);
            let merge = Patch::Merge(&patch);
            let record = self
                .kube
                .call(Retry::Conflicts, || api.patch(&name, &pp, &merge))
                .await
                .map_err(kerr)?;
            if !snap.pods_of(info.id).is_empty() {
                self.delete_pods(&snap, info.id, &self.grace(Some(0)), true)
                    .await?;
                self.respawn(&record, None).await?;
            }
        }
        Ok(())
    }
}

fn state_json(fs: &FinalState) -> String {
    serde_json::to_string(fs).unwrap_or_default()
}
