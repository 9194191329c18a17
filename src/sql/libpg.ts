import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ParseResult, ScanResult } from 'libpg-query';

// libpg-query's WebAssembly, instantiated synchronously at its first use, not at start.
//
// The package's own entry (`libpg-query`) starts compiling its 1.7 MB of WebAssembly when it is
// required and hands the module over only through a promise, so its synchronous functions
// (parseSync, scanSync) work only after an `await loadModule()`: every run paid the compile and
// the wait (about 30 ms of CPU and as much wall time before the CLI could start) though a warm
// audit whose cache answers every file parses no SQL at all. Here the package's Emscripten module
// (`wasm/libpg-query.js`, the same file its entry loads) is instantiated through its
// `instantiateWasm` hook with `new WebAssembly.Module` / `Instance`, which is synchronous, so the
// runtime is ready when the factory returns; the functions below are the package's own synchronous
// wrappers (wasm/index.cjs of 18.1.x: the same exports called the same way, the same errors), and
// test/sql/libpg.test.ts checks them against the package's for parses, scans and errors.
// package.json pins the package's exact version for that reason: a range would let a user's install bring a
// version whose exports these calls do not match (the test fails if the pin becomes a range).

interface PgModule {
  _malloc(size: number): number;
  _free(ptr: number): void;
  lengthBytesUTF8(text: string): number;
  stringToUTF8(text: string, ptr: number, max: number): void;
  UTF8ToString(ptr: number): string;
  getValue(ptr: number, type: 'i32'): number;
  _wasm_parse_query_raw(ptr: number): number;
  _wasm_free_parse_result(ptr: number): void;
  _wasm_parse_plpgsql(ptr: number): number;
  _wasm_scan(ptr: number): number;
  _wasm_free_string(ptr: number): void;
}

/** The error the package's parseSync throws: the message and where, as `sqlDetails`. */
export class SqlError extends Error {
  sqlDetails: {
    message: string;
    cursorPosition: number;
    fileName: string | undefined;
    functionName: string | undefined;
    lineNumber: number | undefined;
  };
  constructor(message: string, details: SqlError['sqlDetails']) {
    super(message);
    this.name = 'SqlError';
    this.sqlDetails = details;
  }
}

/** The synchronous half of WebAssembly's API (the project's TypeScript libraries do not declare it). */
interface SyncWebAssembly {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

let loaded: PgModule | undefined;

/** Whether the WebAssembly has been instantiated in this process (for the tests and the bench). */
export function libpgLoaded(): boolean {
  return loaded !== undefined;
}

function wasm(): PgModule {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const glue = require.resolve('libpg-query/wasm/libpg-query.js');
  const factory = require(glue) as (moduleArg: object) => Promise<unknown>;
  const bytes = fs.readFileSync(path.join(path.dirname(glue), 'libpg-query.wasm'));
  const { WebAssembly: wa } = globalThis as unknown as { WebAssembly: SyncWebAssembly };
  const moduleArg = {
    instantiateWasm(imports: object, receive: (instance: object, module: object) => void): object {
      const mod = new wa.Module(bytes);
      const instance = new wa.Instance(mod, imports);
      receive(instance, mod);
      return instance.exports;
    },
  };
  // The promise resolves with moduleArg itself, already initialised (the hook above ran synchronously).
  factory(moduleArg).catch(() => undefined);
  const m = moduleArg as unknown as PgModule;
  if (typeof m._wasm_parse_query_raw !== 'function' || typeof m.UTF8ToString !== 'function')
    throw new Error('libpg-query: its WebAssembly module did not initialise synchronously (an unsupported version?)');
  loaded = m;
  return m;
}

function stringToPtr(m: PgModule, text: string): number {
  if (typeof text !== 'string') throw new TypeError(`Expected a string, got ${typeof text}`);
  const len = m.lengthBytesUTF8(text) + 1;
  const ptr = m._malloc(len);
  try {
    m.stringToUTF8(text, ptr, len);
    return ptr;
  } catch (error) {
    m._free(ptr);
    throw error;
  }
}

/** libpg-query's parseSync: the parse tree as JSON, or a SqlError. */
export function parseSync(query: string): ParseResult {
  const m = wasm();
  if (query === null || query === undefined) throw new Error('Query cannot be null or undefined');
  if (query === '') throw new Error('Query cannot be empty');
  const queryPtr = stringToPtr(m, query);
  let resultPtr = 0;
  try {
    resultPtr = m._wasm_parse_query_raw(queryPtr);
    if (!resultPtr) throw new Error('Failed to parse query: memory allocation failed');
    const parseTreePtr = m.getValue(resultPtr, 'i32');
    const errorPtr = m.getValue(resultPtr + 8, 'i32');
    if (errorPtr) {
      const messagePtr = m.getValue(errorPtr, 'i32');
      const funcnamePtr = m.getValue(errorPtr + 4, 'i32');
      const filenamePtr = m.getValue(errorPtr + 8, 'i32');
      const lineno = m.getValue(errorPtr + 12, 'i32');
      const cursorpos = m.getValue(errorPtr + 16, 'i32');
      const message = messagePtr ? m.UTF8ToString(messagePtr) : 'Unknown error';
      throw new SqlError(message, {
        message,
        cursorPosition: cursorpos > 0 ? cursorpos - 1 : 0,
        fileName: filenamePtr ? m.UTF8ToString(filenamePtr) : undefined,
        functionName: funcnamePtr ? m.UTF8ToString(funcnamePtr) : undefined,
        lineNumber: lineno > 0 ? lineno : undefined,
      });
    }
    if (!parseTreePtr) throw new Error('No parse tree generated');
    return JSON.parse(m.UTF8ToString(parseTreePtr)) as ParseResult;
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_parse_result(resultPtr);
  }
}

/** libpg-query's parsePlPgSQLSync. */
export function parsePlPgSQLSync(query: string): ParseResult {
  const m = wasm();
  const queryPtr = stringToPtr(m, query);
  let resultPtr = 0;
  try {
    resultPtr = m._wasm_parse_plpgsql(queryPtr);
    const text = m.UTF8ToString(resultPtr);
    // Success is always a JSON object; anything else is an error message.
    if (!text.startsWith('{')) throw new Error(text);
    return JSON.parse(text) as ParseResult;
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_string(resultPtr);
  }
}

/** libpg-query's scanSync: the tokens (byte offsets), or an error when the text does not scan. */
export function scanSync(query: string): ScanResult {
  const m = wasm();
  const queryPtr = stringToPtr(m, query);
  let resultPtr = 0;
  try {
    resultPtr = m._wasm_scan(queryPtr);
    const text = m.UTF8ToString(resultPtr);
    if (text.startsWith('syntax error') || text.startsWith('deparse error') || text.startsWith('ERROR'))
      throw new Error(text);
    return JSON.parse(text) as ScanResult;
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_string(resultPtr);
  }
}
