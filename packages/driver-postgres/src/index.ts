// @sluice/driver-postgres: the PostgreSQL v3 wire protocol, client side and server side.
import type { Driver, DriverModule } from '@sluice/core';
import { CancelRegistry } from './cancel-registry.js';
import { PostgresConnection } from './session.js';

export function createDriver(): Driver {
  const cancels = new CancelRegistry();
  return {
    dialect: 'postgres',
    accept: (socket, context) => new PostgresConnection(socket, context, cancels),
  };
}

export default { createDriver } satisfies DriverModule;
