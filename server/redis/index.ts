export { createRedis, retryStrategy, type RedisRole } from './connect.js';
export { Keys, deploymentKeys } from './keys.js';
export { NodeRedis, leaseNodeRedis, type RedisLease } from './node-redis.js';
