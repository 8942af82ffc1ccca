import { registerConnector } from '../registry.ts'
import { VirusTotalConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new VirusTotalConnector(settings, secrets))
