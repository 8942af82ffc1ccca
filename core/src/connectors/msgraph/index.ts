import { registerConnector } from '../registry.ts'
import { GraphConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new GraphConnector(settings, secrets))
