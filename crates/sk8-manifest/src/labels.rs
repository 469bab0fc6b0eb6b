//! Label, annotation and object-name constants shared by the renderer, the status mapper and the backend.

/// The job id label (records and everything they own).
pub const JOB_ID: &str = "sk8.dev/job-id";
/// The submitting user's name (sanitised as a label value).
pub const USER: &str = "sk8.dev/user";
/// The partition the job runs in.
pub const PARTITION: &str = "sk8.dev/partition";
/// The job name, sanitised as a label value.
pub const JOB_NAME: &str = "sk8.dev/job-name";
/// An array task's array job id (its first task's id).
pub const ARRAY_JOB_ID: &str = "sk8.dev/array-job-id";
/// An array task's index.
pub const ARRAY_TASK_ID: &str = "sk8.dev/array-task-id";
/// A pod's node rank (0 runs the batch script).
pub const RANK: &str = "sk8.dev/rank";
/// `app.kubernetes.io/managed-by`, value [`MANAGED_BY_VALUE`].
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY`].
pub const MANAGED_BY_VALUE: &str = "sk8";
/// Record annotation: a final state set by sk8 itself (JSON [`crate::status::FinalState`]).
pub const STATE: &str = "sk8.dev/state";
/// Record annotation: the job is held (`user`).
pub const HOLD: &str = "sk8.dev/hold";
/// The id counter ConfigMap's name; its data key is [`COUNTER_KEY`].
pub const COUNTER: &str = "sk8-job-counter";
/// The counter ConfigMap's data key.
pub const COUNTER_KEY: &str = "next";
/// Record data key: the batch script text.
pub const DATA_SCRIPT: &str = "script";
/// Record data key: the resolved `JobSpec` as JSON.
pub const DATA_SPEC: &str = "spec";
/// Record data key: the submit time (Unix seconds).
pub const DATA_SUBMIT_TIME: &str = "submit-time";
/// Secret data key: the step token.
pub const TOKEN_KEY: &str = "token";
/// The Secret's key holding the job's environment (JSON), kept out of the
/// record so that listing jobs stays small and the environment (which may
/// hold credentials) is as private as the token.
pub const ENVIRONMENT_KEY: &str = "environment";
/// The job container's name.
pub const CONTAINER: &str = "job";
/// Where the batch script is mounted in rank 0's container.
pub const SCRIPT_PATH: &str = "/var/run/sk8/job/script";
/// Where the token Secret is mounted.
pub const TOKEN_DIR: &str = "/var/run/sk8/token";
/// The step agent's port on the headless Service.
pub const AGENT_PORT: i32 = 7000;
/// Node label prefix for `--constraint` features: `sk8.dev/feature.<name>` must exist.
pub const FEATURE_PREFIX: &str = "sk8.dev/feature.";
/// Kueue: the LocalQueue label.
pub const KUEUE_QUEUE: &str = "kueue.x-k8s.io/queue-name";
/// Kueue: the pod-group name label.
pub const KUEUE_POD_GROUP: &str = "kueue.x-k8s.io/pod-group-name";
/// Kueue: the pod-group size annotation.
pub const KUEUE_TOTAL_COUNT: &str = "kueue.x-k8s.io/pod-group-total-count";
/// Kueue: the scheduling gate on pods not yet admitted.
pub const KUEUE_GATE: &str = "kueue.x-k8s.io/admission";
/// Volcano: the pod annotation naming its PodGroup.
pub const VOLCANO_GROUP: &str = "scheduling.k8s.io/group-name";
/// Coscheduling (scheduler-plugins): the pod label naming its PodGroup.
pub const COSCHED_GROUP: &str = "scheduling.x-k8s.io/pod-group";
/// The node hostname label used by `--nodelist`, `--exclude` and `--exclusive`.
pub const HOSTNAME: &str = "kubernetes.io/hostname";
