import Foundation
import Planner

/// A POSIX shell script for an `EmitPlan`: it first rewrites itself and the specs if the vidfile,
/// the recipe or a prompt changed, then runs the steps one after another in dependency order.
/// `vidmake produce` decides by content hash whether a step is up to date (and then does
/// nothing), so a second run does no work; the first failure stops the script with the step's
/// message and exit status 1. Every word the script passes is single-quoted; the only text from
/// the vidfile in it is paths and step names, and narration and prompts stay in the spec files.
public enum ShellEmitter {
    public static func emit(_ plan: EmitPlan, version: String) -> String {
        let here = EmitPlan.relative(plan.options.directory, from: (plan.options.output as NSString).deletingLastPathComponent)
        let regen = plan.regenerateCommand("sh").dropFirst().map(shellQuote).joined(separator: " ")
        var o = """
        #!/bin/sh
        # Shell build for \(plan.vidfile), written by `vidmake emit --sh` (vidmake \(version)).
        # Do not edit: it rewrites itself when the vidfile, the recipe, a prompt or providers.yaml changes.
        # Each step runs `vidmake produce` with its spec (\(plan.buildDir)/.steps/); a step whose
        # outputs are up to date (by content) does nothing. The steps share the state store with
        # `vidmake build`. Set VIDMAKE to run another vidmake binary.
        set -u
        cd "$(dirname -- "$0")"/\(shellQuote(here)) || exit 1
        VIDMAKE=${VIDMAKE:-\(shellQuote(plan.options.vidmake))}

        if [ "${VIDMAKE_SH_REGENERATED:-}" != 1 ]; then
          "$VIDMAKE" \(regen) || exit 1
          VIDMAKE_SH_REGENERATED=1 exec sh \(shellQuote(plan.outputPath)) "$@"
        fi

        total=\(plan.entries.count)
        n=0
        ran=0
        step() {
          n=$((n + 1))
          status=$("$VIDMAKE" produce --status "$1") || {
            printf 'vidmake: [%s/%s] %s failed; the build stops here\\n' "$n" "$total" "$2" >&2
            exit 1
          }
          case $status in
            ran|reused) ran=$((ran + 1)); printf '[%s/%s] %s (%s)\\n' "$n" "$total" "$2" "$status" ;;
          esac
        }


        """
        for e in plan.entries {
            o += "step \(shellQuote(e.specPath)) \(shellQuote(e.label))\n"
        }
        o += """

        if [ "$ran" -eq 0 ]; then echo 'vidmake: no work to do'; fi

        """
        return o
    }
}
