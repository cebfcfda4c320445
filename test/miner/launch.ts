// Runs `strata miner` for the tests: as a real process through the CLI once
// the command is registered there, otherwise in this process through the same
// flag parsing (registerMiner), with its log records captured either way.
import { Command } from 'commander';
import { registerMiner, type RunningMiner } from '../../src/roles/miner/index.js';
import { cliHas, startRole } from '../helpers/process.js';

export type LogRecord = Record<string, unknown>;

export interface MinerRun {
  /** 'process' when spawned through the CLI, 'in-process' otherwise. */
  kind: 'process' | 'in-process';
  records: LogRecord[];
  waitFor(pred: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  stop(): Promise<void>;
}

export async function launchMiner(args: string[]): Promise<MinerRun> {
  if (cliHas('miner')) {
    const p = startRole(['miner', ...args]);
    return {
      kind: 'process',
      records: p.records,
      waitFor: (pred, timeoutMs = 30_000) => p.waitFor(pred, timeoutMs),
      stop: async () => {
        await p.stop();
      },
    };
  }
  const records: LogRecord[] = [];
  const waiters: { pred: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  const stream = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line.trim() === '') continue;
        const rec = JSON.parse(line) as LogRecord;
        records.push(rec);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.pred(rec)) waiters.splice(i, 1)[0]!.resolve(rec);
        }
      }
    },
  };
  let miner: RunningMiner | undefined;
  const program = new Command().exitOverride();
  registerMiner(program, { stream, signals: false, onStarted: (m) => (miner = m) });
  await program.parseAsync(['miner', ...args], { from: 'user' });
  return {
    kind: 'in-process',
    records,
    waitFor(pred, timeoutMs = 30_000) {
      const found = records.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const tail = records.slice(-20).map((r) => JSON.stringify(r));
          reject(new Error(`timed out waiting for a log record; last records:\n${tail.join('\n')}`));
        }, timeoutMs);
        waiters.push({
          pred,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    stop: async () => {
      await miner?.stop();
    },
  };
}
