import { registerConnector } from '../registry.ts'
import { GmailConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new GmailConnector(settings, secrets))
