/**
 * `import … from 'meshsim'` (SPEC §10.6): the public surface. Run a scenario for a seed and get
 * the object `meshsim run --json` prints; build scenarios, workloads and assertions in code or
 * from scenario-file objects; read metrics; compute trace digests. Everything not exported
 * here or from `meshsim/protocol`, `meshsim/property` and `meshsim/report` is internal.
 */
export { run, type RunInput, type RunJson } from './run.js';
export { MeshsimInputError } from '../io/input-error.js';
export { runScenario, type RunOptions, type RunOutcome, type RunProgress, type RunReport } from '../scenario/runner.js';
export type { RunContext, RunExtension, RunExtensionFactory, Scenario } from '../scenario/scenario.js';
// What reproduces a run, as data (RunReport.replay), and the CLI's spelling of it as a command line.
export type { ReplayRef, RunReplay, ScheduleRunReplay, ScheduleFileReplay, ExperimentPointReplay } from '../scenario/replay-ref.js';
export { replayLine } from '../cli/replay-line.js';
export { parseScenarioJson, type ScenarioParse } from '../scenario/scenario-json.js';
export type { BroadcastEntry, BroadcastSender, FailureEntry, FailureMode, WorkloadEntry, WorkloadLog } from '../scenario/workload.js';
export type { TrafficRow } from '../mesh/traffic.js';
export type { BroadcastMetrics, DeliveryProgress, OverlaySnapshot, RunMetrics, Spread } from '../scenario/metrics.js';
export type { ProbeRecord, Violation } from '../scenario/checker.js';
export { Cluster, type ClusterOptions } from '../scenario/cluster.js';
export { DEFAULT_TOPOLOGY, standardMesh, type MeshLayout, type NodePlan, type TopologySpec } from '../scenario/topology.js';
export { allScenarios, findScenario } from '../catalog/registry.js';
export { withChaos } from '../catalog/chaos-scenarios.js';
// Chaos: the 13 primitives (apply and its named inverse, revert; detect), their parameter
// schemas and deadlines, and the engine's configuration (explicit events, random, soak).
export {
  PRIMITIVE_NAMES, type Fault, type ParamValue, type Primitive, type PrimitiveName, type Verdict, type ChaosWorld, type Detector, type Detection,
  type ProcessLevers, type ProcessStatus, type DiskLevers, type ClockLevers, type LinkLevers,
} from '../primitives/types.js';
export { implementedPrimitives, killingPrimitives, primitiveByName, specOf } from '../primitives/registry.js';
export { deadlineOf, judgeableIn, validateFault, type ParamSpec, type PrimitiveSpec, type TargetSpec } from '../primitives/schema.js';
export { T as DEFAULT_TIMERS, timersOf, type NodeTimerSettings, type Timers } from '../primitives/timing.js';
export { ChaosConfigError, chaosReportOf, type ChaosConfig, type ChaosEventPlan, type ChaosEventReport, type ChaosRunReport, type ScheduledSkip } from '../primitives/engine.js';
export type { SplitPart } from '../scenario/overlay-parts.js';
// Bring your own node logic (docs/byo-node.md): an application hosted on the simulated
// network, clocks and disk, with the chaos primitives' levers; the mesh node is one such app.
export { runApp, AppRunError, type AppAction, type AppMaker, type AppNodeInfo, type AppRunInput, type AppRunResult, type AppSim } from '../apps/run-app.js';
export type { AppFault, AppFaultReport } from '../apps/app-faults.js';
export type { AppFactory, NodeApp, NodeContext, NodeIdentity } from '../sim/node-host.js';
export type { CloseReason, Connection, DialResult, Endpoint, NodeKey, Stream, StreamKind, WriteResult } from '../sim/network/index.js';
export type { NodeClock } from '../sim/clock/node-clock.js';
export type { DataDir, WriteResult as DiskWriteResult } from '../sim/data-dir.js';
export type { SimRng } from '../sim/rng.js';
export type { EventId, SimEvent, Task } from '../sim/scheduler.js';
export type { OpenSpan, SpanOptions, Telemetry } from '../sim/telemetry/index.js';
export { MESH_NODE_DEFAULTS, type MeshNodeConfig, type NodeProfile, type NodeVariant } from '../mesh/config.js';
export { DEFAULT_LINK, DEFAULT_NETWORK_CONFIG, type DeadPeer, type KillMode, type LinkState, type NetworkConfig } from '../sim/network/index.js';
export { traceDigestOf } from '../sim/telemetry/digest.js';
export type { SpanRecord, SpanOf, Attrs, AttrValue, SpanLevel } from '../sim/telemetry/span-record.js';
// The span vocabulary: every span name with its attribute types (applications add `app.…`).
export type { SpanAttrs, SpanName, SpanVocabulary } from '../sim/telemetry/span-vocabulary.js';
export { SpanQuery, type AnySpanFilter, type NamedSpanFilter, type SpanFilter, type SpanWindow } from '../sim/telemetry/query.js';
