import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** Every non-test .ts file under `dir`. */
export const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [path.join(dir, e.name)]
        : [],
  )

/**
 * The relative modules a file loads when it is imported, as absolute paths: static imports,
 * re-exports and side-effect imports. `import type` is erased by type stripping, and a dynamic
 * `import()` loads only when its code runs (boss.ts's job list for startBoss), so neither counts.
 */
export const importsOf = (file: string) => {
  const src = readFileSync(file, 'utf8')
  const specifiers = [
    ...[...src.matchAll(/^(?:import|export)\s+(type\s)?[^'`]*?\sfrom\s+'(\.[^']+)'/gm)]
      .filter((m) => !m[1])
      .map((m) => m[2]!),
    ...[...src.matchAll(/^import\s+'(\.[^']+)'/gm)].map((m) => m[1]!),
  ]
  return specifiers.map((s) => path.resolve(path.dirname(file), s)).filter((p) => existsSync(p))
}

/**
 * The chain of imports by which `file` reaches a module `isForbidden` accepts, following imports
 * transitively, or undefined when it reaches none.
 */
export const forbiddenChain = (file: string, isForbidden: (target: string) => boolean): string[] | undefined => {
  const seen = new Set<string>([file])
  const queue: string[][] = [[file]]
  while (queue.length) {
    const chain = queue.shift()!
    for (const next of importsOf(chain.at(-1)!)) {
      if (isForbidden(next)) return [...chain, next]
      if (!seen.has(next)) {
        seen.add(next)
        queue.push([...chain, next])
      }
    }
  }
  return undefined
}
