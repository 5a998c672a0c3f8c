/**
 * The one key namespace of a deployment. Every Redis key and pub/sub channel Pulse uses starts with
 * it, so unrelated deployments (or test files) sharing one Redis never see each other's presence,
 * login counters, events or note updates.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  /** `<prefix>:<part>:<part>...`; parts may hold colons of their own (doc names do). */
  ns(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}

/** REDIS_PREFIX when set, else one namespace per database (`pulse:<database name>`), as it has always been. */
export function deploymentKeys(explicitPrefix: string | null, databaseName: string): Keys {
  return new Keys(explicitPrefix || `pulse:${databaseName}`);
}
