import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig({
  ...packageBuild(['src/index.ts', 'src/cli.ts', 'src/testing/index.ts'], ['src/index.ts', 'src/testing/index.ts']),
  // The web console's static files: the admin API serves them from dist/console/.
  onSuccess: async () => cpSync('src/admin/console/assets', 'dist/console', { recursive: true }),
});
