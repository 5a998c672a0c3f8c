import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-process.ts');

export interface NodeReport {
  cpu: { user: number; system: number };
  rss: number;
  notes: any;
}
export interface ChildNode {
  url: string;
  child: ChildProcess;
  report(): Promise<NodeReport>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a server node as a separate process (run through tsx) and waits until it listens. */
export async function spawnNode(env: Record<string, string>): Promise<ChildNode> {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx', ...(process.env.NOTES_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: any) => (m?.url ? resolve(m.url) : reject(new Error('unexpected message'))));
    child.once('exit', (code) => reject(new Error(`node exited early (${code})`)));
  });
  return {
    url,
    child,
    report: () =>
      new Promise((resolve) => {
        child.once('message', (m: any) => resolve(m));
        child.send({ cmd: 'cpu' });
      }),
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
