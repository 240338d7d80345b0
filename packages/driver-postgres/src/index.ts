// @sluice/driver-postgres: the PostgreSQL v3 wire protocol, client side and server side.
import type { Driver, DriverModule } from '@sluice/core';
import { CancelRegistry } from './cancel-registry.js';
import { PostgresConnection } from './session.js';
import { TableNames } from './table-names.js';

export function createDriver(): Driver {
  const cancels = new CancelRegistry();
  const tableNames = new TableNames();
  return {
    dialect: 'postgres',
    accept: (socket, context) => new PostgresConnection(socket, context, cancels, tableNames),
  };
}

export default { createDriver } satisfies DriverModule;
