export * from './identity.ts'
export * from './incidents.ts'
export * from './platform.ts'
export * from './responses.ts'
