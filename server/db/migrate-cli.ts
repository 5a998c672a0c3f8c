import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { createOrm } from './orm.js';
import { migrate } from './migrate.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const orm = await createOrm({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
await migrate(orm, config.databaseUrl, log);
log.info('database is up to date');
await orm.close(true);
