// @sluice/driver-mssql: TDS 7.4 (SQL Server), client side and server side.
import type { Driver, DriverModule } from '@sluice/core';
import { MssqlConnection } from './session.js';

export function createDriver(): Driver {
  return {
    dialect: 'mssql',
    accept: (socket, context) => new MssqlConnection(socket, context),
  };
}

export default { createDriver } satisfies DriverModule;
