import { registerConnector } from '../registry.ts'
import { AdConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new AdConnector(settings, secrets))
