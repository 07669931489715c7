import Foundation
import Planner
import RecipeParser

/// The JSON an LLM step must reply with, derived from the step's outputs, and the check of a
/// reply against it. A script with `title`, `summary`, `narration[segment]`,
/// `image_prompt[segment][image]` asks for
///
///     {"title": "…", "summary": "…",
///      "segments": [{"narration": "…", "image_prompt": ["…", "…"], "motion_prompt": "…"}, …]}
///
/// with exactly as many segments (and image prompts in each) as the build has. Outputs indexed
/// over the same first dimension share one array of objects, so the model writes each segment's
/// narration and pictures together.
struct StructuredReply {
    /// One output field, as the description lists it: name, index relative to the step, type.
    struct Field: Hashable {
        var name: String
        var index: [Int]
        var type: ArtifactType
    }

    let fields: [Field]
    /// Dimension names by output name (`narration` → `["segment"]`).
    let dimensions: [String: [String]]

    /// The step's fields: every output it makes, including ones the vidfile overrides (the model
    /// writes the whole story; an overridden field's text is then not used).
    init(step: Step) {
        var fields: [Field] = []
        let listed = step.description["outputs"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] } ?? []
        for entry in listed {
            guard let colon = entry.lastIndex(of: ":"), let ref = ArtifactRef.parse(String(entry[..<colon])),
                  let type = ArtifactType(rawValue: String(entry[entry.index(after: colon)...])) else { continue }
            fields.append(Field(name: ref.name, index: ref.index, type: type))
        }
        if fields.isEmpty {
            let depth = step.id.index.count
            fields = step.outputs.map { Field(name: $0.artifact.name, index: Array($0.artifact.index.dropFirst(depth)), type: $0.type) }
        }
        self.fields = fields
        self.dimensions = step.outputDimensions ?? [:]
    }

    /// The names in first-appearance order.
    private var names: [String] {
        var seen: Set<String> = []
        return fields.map(\.name).filter { seen.insert($0).inserted }
    }

    private func fields(named n: String) -> [Field] { fields.filter { $0.name == n } }

    /// The array key of a group: the plural of its first dimension (`segments`), else `items`.
    private func groupKey(_ name: String) -> String {
        guard let d = dimensions[name]?.first, !d.isEmpty else { return "items" }
        return d.hasSuffix("s") ? d : d + "s"
    }

    /// Top-level names, and groups of indexed names by their array key.
    private var layout: (plain: [String], groups: [(key: String, names: [String], count: Int)]) {
        var plain: [String] = []
        var groups: [(key: String, names: [String], count: Int)] = []
        for n in names {
            let f = fields(named: n)
            if f.allSatisfy({ $0.index.isEmpty }) { plain.append(n); continue }
            let key = groupKey(n)
            let count = f.compactMap(\.index.first).max() ?? 0
            if let i = groups.firstIndex(where: { $0.key == key }) {
                groups[i].names.append(n)
                groups[i].count = max(groups[i].count, count)
            } else {
                groups.append((key, [n], count))
            }
        }
        return (plain, groups)
    }

    /// Items of an output under one entry of its group: how many values at each deeper level.
    private func innerCounts(_ name: String, first: Int) -> [Int] {
        let f = fields(named: name).filter { $0.index.first == first }
        guard let depth = f.first?.index.count, depth > 1 else { return [] }
        // Only the second level can vary in count; deeper levels take the largest.
        var counts: [Int] = []
        for level in 1..<depth { counts.append(f.map { $0.index[level] }.max() ?? 0) }
        return counts
    }

    private func valueSchema(_ type: ArtifactType) -> [String: Any] {
        type == .json ? ["type": "string", "description": "JSON text"] : ["type": "string"]
    }

    private func arraySchema(_ items: [String: Any], count: Int?) -> [String: Any] {
        var a: [String: Any] = ["type": "array", "items": items]
        if let count { a["minItems"] = count; a["maxItems"] = count }
        return a
    }

    /// A strict JSON Schema: every property required, no others allowed.
    var schema: [String: Any] {
        let (plain, groups) = layout
        var props: [String: Any] = [:]
        for n in plain { props[n] = valueSchema(fields(named: n)[0].type) }
        for g in groups {
            var itemProps: [String: Any] = [:]
            for n in g.names {
                let counts = (1...max(1, g.count)).map { innerCounts(n, first: $0) }
                var s = valueSchema(fields(named: n)[0].type)
                // Nested levels: a fixed count where every entry agrees, else checked after.
                let depth = counts.map(\.count).max() ?? 0
                for level in stride(from: depth - 1, through: 0, by: -1) {
                    let at = Set(counts.compactMap { $0.count > level ? $0[level] : nil })
                    s = arraySchema(s, count: at.count == 1 ? at.first : nil)
                }
                itemProps[n] = s
            }
            let item: [String: Any] = ["type": "object", "properties": itemProps, "required": g.names, "additionalProperties": false]
            props[g.key] = arraySchema(item, count: g.count)
        }
        return ["type": "object", "properties": props, "required": plain + groups.map(\.key), "additionalProperties": false]
    }

    /// The shape in words, for the prompt (models without schema enforcement read it).
    var shapeDescription: String {
        let (plain, groups) = layout
        var lines = ["Reply with one JSON object with exactly these keys:"]
        for n in plain { lines.append("- \"\(n)\": a string") }
        for g in groups {
            lines.append("- \"\(g.key)\": an array of exactly \(g.count) objects, one per \(g.key.hasSuffix("s") ? String(g.key.dropLast()) : g.key), in order, each with:")
            for n in g.names {
                let counts = innerCounts(n, first: 1)
                if counts.isEmpty { lines.append("  - \"\(n)\": a string") }
                else { lines.append("  - \"\(n)\": an array of exactly \(counts[0]) strings") }
            }
        }
        lines.append("No other keys, no markdown, no comments.")
        return lines.joined(separator: "\n")
    }

    /// The text of every field, or the list of what is wrong with the reply.
    func read(_ content: String) -> Result<[Field: String], Problems> {
        guard let data = content.data(using: .utf8), let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            let start = content.trimmingCharacters(in: .whitespacesAndNewlines).prefix(60)
            return .failure(Problems(list: ["the reply is not a JSON object (it begins: \(start))"]))
        }
        var problems: [String] = []
        var out: [Field: String] = [:]
        let (plain, groups) = layout
        func text(_ v: Any?, _ path: String, _ f: Field) {
            switch v {
            case let s as String:
                let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
                if t.isEmpty { problems.append("\(path) is empty") } else { out[f] = t }
            case nil: problems.append("\(path) is missing")
            case let other?:
                if f.type == .json, JSONSerialization.isValidJSONObject(other),
                   let d = try? JSONSerialization.data(withJSONObject: other, options: [.sortedKeys]) {
                    out[f] = String(decoding: d, as: UTF8.self)
                } else {
                    problems.append("\(path) must be a string")
                }
            }
        }
        for n in plain { text(root[n], n, fields(named: n)[0]) }
        for g in groups {
            guard let items = root[g.key] as? [Any] else {
                problems.append(root[g.key] == nil ? "\(g.key) is missing" : "\(g.key) must be an array")
                continue
            }
            if items.count != g.count { problems.append("\(g.key) has \(items.count) items; it must have exactly \(g.count)") }
            for (i, item) in items.prefix(g.count).enumerated() {
                guard let obj = item as? [String: Any] else { problems.append("\(g.key)[\(i)] must be an object"); continue }
                for n in g.names {
                    for f in fields(named: n) where f.index.first == i + 1 {
                        // Walk the deeper indices (1-based in the build, 0-based in JSON).
                        var v: Any? = obj[n]
                        var path = "\(g.key)[\(i)].\(n)"
                        var ok = true
                        for level in f.index.dropFirst() {
                            guard let arr = v as? [Any] else {
                                problems.append("\(path) must be an array"); ok = false; break
                            }
                            let want = innerCounts(n, first: i + 1)
                            if level == 1, let c = want.first, arr.count != c {
                                problems.append("\(path) has \(arr.count) items; it must have exactly \(c)")
                            }
                            guard level - 1 < arr.count else { ok = false; break }
                            v = arr[level - 1]
                            path += "[\(level - 1)]"
                        }
                        if ok { text(v, path, f) }
                    }
                }
            }
        }
        var seenProblems: Set<String> = []
        problems = problems.filter { seenProblems.insert($0).inserted }
        return problems.isEmpty ? .success(out) : .failure(Problems(list: problems))
    }

    struct Problems: Error {
        var list: [String]
        /// At most `n` of them, for a message.
        func summary(_ n: Int = 8) -> String {
            list.prefix(n).joined(separator: "; ") + (list.count > n ? "; and \(list.count - n) more" : "")
        }
    }
}
