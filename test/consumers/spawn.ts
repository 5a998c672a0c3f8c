import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'consumer-node.ts');

export interface ConsumerNode {
  url: string;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a consumer node (test/consumers/consumer-node.ts) as its own process and waits until it listens. */
export async function spawnConsumerNode(env: Record<string, string>): Promise<ConsumerNode> {
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: any) => (m?.url ? resolve(m.url) : reject(new Error('unexpected message'))));
    child.once('exit', (code) => reject(new Error(`node exited early (${code})`)));
  });
  return {
    url,
    child,
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
