// Preloaded into a role's process (`node --import <this file> ...`) by the
// soak run: once per interval it appends one JSON line to the file named by
// STRATA_SOAK_PROBE_FILE with the process's memory, event-loop delay (p99 and
// max since the previous line, beyond the 10 ms sampling period) and open
// handles by type. Without that variable it does nothing. Its timer is
// unref'd, so it never keeps a role alive; the role itself has no idea it is
// watched. Lines say `phase: "start"` until the file named `<that file>.up`
// exists (the soak creates it once every role is up), then `phase: "setup"`
// until `<that file>.load` exists (once every miner is connected). Each
// marker closes the phase's line at once: the start (module loading,
// database and keys) is apart from the miners' connection burst, the first
// load line covers the load alone, and the lines follow the load's own
// minutes.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import {
  monitorEventLoopDelay,
  PerformanceObserver,
  constants,
  type PerformanceEntry,
} from 'node:perf_hooks';

/** Which role this process is: the `strata <role>` sub-command, else the script's name. */
function roleName(argv: string[]): string {
  const script = argv[1] ?? '';
  if (/cli\.js$/.test(script) && argv[2] !== undefined) return argv[2];
  // The translator's worker processes (workers = N), forked by its primary.
  if (/roles\/translator\/worker-main\.js$/.test(script)) return 'translator-worker';
  const m = /roles\/([^/]+)\/main\.js$/.exec(script);
  return m ? m[1]! : script.split('/').pop() || 'node';
}

/**
 * Resident memory split as Linux counts it: anonymous (the heap, malloc,
 * stacks: this process's own) and file-backed (mostly the node binary's
 * code, faulted in as paths first run, shared with every node process).
 * Null elsewhere.
 */
function residentSplit(): { anon_mb: number; file_mb: number } | null {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string): number | undefined => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : undefined;
    };
    const anon = kb('RssAnon');
    const file = kb('RssFile');
    if (anon === undefined || file === undefined) return null;
    return { anon_mb: Math.round(anon / 10.24) / 100, file_mb: Math.round(file / 10.24) / 100 };
  } catch {
    return null;
  }
}

const file = process.env.STRATA_SOAK_PROBE_FILE;
if (file !== undefined && file !== '') {
  const secs = Number(process.env.STRATA_SOAK_PROBE_SECS ?? '60');
  const intervalMs = Number.isFinite(secs) && secs > 0 ? secs * 1000 : 60_000;
  const role = roleName(process.argv);
  // The histogram records the time between ticks of a timer of this period;
  // the delay is what exceeds the period (an idle loop reads 0, not 10 ms).
  const resolutionMs = 10;
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  const startedAt = Date.now();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const late = (ns: number): number => ms(Math.max(0, ns - resolutionMs * 1e6));
  const mb = (bytes: number): number => Math.round(bytes / 1024 / 10.24) / 100;
  // Garbage-collection pauses, so that a long event-loop delay can be told
  // apart: the longest pause of the sample, its kind, and all pauses added up.
  const GC_KINDS: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  let gcMax = 0;
  let gcMaxKind: string | null = null;
  let gcTotal = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcTotal += e.duration;
      if (e.duration > gcMax) {
        gcMax = e.duration;
        const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
        gcMaxKind = kind === undefined ? null : (GC_KINDS[kind] ?? String(kind));
      }
    }
  }).observe({ entryTypes: ['gc'] });
  const upMark = `${file}.up`;
  const loadMark = `${file}.load`;
  const phaseNow = (): 'start' | 'setup' | 'load' =>
    existsSync(loadMark) ? 'load' : existsSync(upMark) ? 'setup' : 'start';
  let phase = phaseNow();
  const sample = (): void => {
    const m = process.memoryUsage();
    const split = residentSplit();
    const handles: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
    const line = {
      role,
      pid: process.pid,
      phase,
      t: Date.now(),
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      rss_mb: mb(m.rss),
      rss_anon_mb: split?.anon_mb ?? null,
      rss_file_mb: split?.file_mb ?? null,
      heap_used_mb: mb(m.heapUsed),
      heap_total_mb: mb(m.heapTotal),
      external_mb: mb(m.external),
      array_buffers_mb: mb(m.arrayBuffers),
      el_p99_ms: late(delay.percentile(99)),
      el_max_ms: late(delay.max),
      el_resolution_ms: resolutionMs,
      gc_max_ms: Math.round(gcMax * 100) / 100,
      gc_max_kind: gcMaxKind,
      gc_total_ms: Math.round(gcTotal * 100) / 100,
      handles,
      handles_total: Object.values(handles).reduce((a, b) => a + b, 0),
    };
    delay.reset();
    gcMax = 0;
    gcMaxKind = null;
    gcTotal = 0;
    try {
      appendFileSync(file, JSON.stringify(line) + '\n');
    } catch {
      // the run's directory is gone: nothing to report to
    }
  };
  let timer = setInterval(sample, intervalMs).unref();
  if (phase !== 'load') {
    const watch = setInterval(() => {
      const next = phaseNow();
      if (next === phase) return;
      // The line of the phase that ended, then the new phase's own intervals.
      sample();
      phase = next;
      clearInterval(timer);
      timer = setInterval(sample, intervalMs).unref();
      if (phase === 'load') clearInterval(watch);
    }, 250).unref();
  }
}
