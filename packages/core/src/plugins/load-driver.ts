// Loads the driver package for a dialect: `@sluice/driver-<dialect>`.
import type { Driver, DriverModule } from '../driver.js';
import { ErrorCodes, SluiceError } from '../errors.js';
import { importModule } from './resolve.js';

export async function loadDriver(dialect: string, configDir: string): Promise<Driver> {
  const name = `@sluice/driver-${dialect}`;
  let module: Partial<DriverModule>;
  try {
    module = (await importModule(name, configDir)) as Partial<DriverModule>;
  } catch (error) {
    throw new SluiceError(ErrorCodes.DRIVER_LOAD, `dialect ${dialect} needs the package ${name}, which cannot be loaded (is it installed?)`, { cause: error });
  }
  if (typeof module.createDriver !== 'function') {
    throw new SluiceError(ErrorCodes.DRIVER_LOAD, `${name} does not export createDriver()`);
  }
  return module.createDriver();
}
