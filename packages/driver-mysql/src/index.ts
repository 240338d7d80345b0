// @sluice/driver-mysql: the MySQL/MariaDB client/server protocol, client side and server side.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import type { Driver, DriverModule } from '@sluice/core';
import { ConnectionIds } from './connection-ids.js';
import { ServerTraitsCache } from './greeting.js';
import { MySqlConnection, type DriverShared } from './session.js';

export function createDriver(): Driver {
  let key: Promise<{ privateKey: KeyObject; publicKeyPem: string }> | undefined;
  const shared: DriverShared = {
    traits: new ServerTraitsCache(),
    connectionIds: new ConnectionIds(),
    // Made on first use (a client without TLS asking for it): RSA key generation takes a while.
    rsaKey: () =>
      (key ??= new Promise((resolve, reject) => {
        generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => {
          if (error) reject(error);
          else resolve({ privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
        });
      })),
  };
  return {
    dialect: 'mysql',
    accept: (socket, context) => new MySqlConnection(socket, context, shared),
  };
}

export default { createDriver } satisfies DriverModule;
