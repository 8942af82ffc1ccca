import { registerConnector } from '../registry.ts'
import { EwsConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new EwsConnector(settings, secrets))
