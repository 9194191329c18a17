import type ts from 'typescript';
import type { Coverage, Operation } from '../report/types.js';
import type { Handle, ParamBinding } from './handles.js';

// What the flow walk learns about one file, before verdicts that need other files.

export interface ContextEvidence {
  /** "set_config", "SET LOCAL", "set_org_id()", or a scope helper's name. */
  via: string;
  at: ts.Node;
  local: boolean;
}

/** The org-context state of one connection at one point of a function. */
export interface ConnState {
  /** Inside BEGIN … COMMIT. 'inherited': a parameter, whatever its caller's transaction is. */
  tx: boolean | 'inherited';
  /** Transaction-local context in force. */
  ctx: ContextEvidence | null | 'inherited';
  /** Session-wide context in force (a leak, but the connection does carry it). */
  session: ContextEvidence | null;
  /** A transaction-local set that ran outside a transaction and so lasted one statement. */
  ineffective: ContextEvidence | null;
  /** A set that came after a write in the same transaction, for the write's evidence. */
  setLater?: ContextEvidence;
}

export type Verdict = { coverage: Coverage; via: string | null; evidence: string };

export type LocalVerdict = Verdict | { pending: ParamBinding; handle: Extract<Handle, { kind: 'param' }>; state: ConnState };

export interface RawWrite {
  operation: Exclude<Operation, 'call'>;
  table: string;
  state: ConnState;
}

export interface RawSite {
  call: ts.CallExpression;
  api: string;
  handle: Handle;
  operation: Operation;
  tables: string[];
  /** Tables written that are RLS-gated. */
  gatedTables: string[];
  definerCalls: string[];
  /** Normalised SQL, for fingerprints; null when it could not be resolved. */
  sql: string | null;
  verdict: LocalVerdict;
}

export interface CallEdge {
  call: ts.CallExpression;
  callee: ts.FunctionLikeDeclaration;
  /** Per argument index: the connection passed and its state then; null for non-connections. */
  args: ({ handle: Handle; state: ConnState } | null)[];
}

export interface RawFinding {
  ruleId: string;
  node: ts.Node;
  message: string;
  /** Stable identity for the fingerprint (no line numbers). */
  key: string;
}

export interface FileFacts {
  sf: ts.SourceFile;
  sites: RawSite[];
  edges: CallEdge[];
  findings: RawFinding[];
  /** Functions passed as values somewhere other than a direct call (their callers are unknowable). */
  escapedFunctions: Set<ts.FunctionLikeDeclaration>;
}
