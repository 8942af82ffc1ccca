import { applianceTlsOptions, startApplianceServices } from '../../appliance/src/services.ts'
import { run } from '../../core/src/server.ts'
import { mounts } from './mounts.ts'

/** The process entry: core's server with the analyst UI and management console pages mounted. */
await run(process.argv.slice(2), { ...mounts, tlsOptions: applianceTlsOptions, services: startApplianceServices })
