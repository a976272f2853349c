import Foundation

/// `--config FILE`: settings from a file, one `name: value` per line (`#` starts a
/// comment), names as the long flags without dashes (`group: planners`,
/// `property: security.protocol=SASL_SSL`, a name may repeat). They stand in front of the
/// command line's own flags, which therefore win; environment variables are only
/// defaults, so a file or a flag overrides them.
///
/// Settings before any section apply to every command; a line `[run]` starts those only
/// `skucast run` reads, `[run, backtest]` those both read, and so on (a section names a
/// command by its first word: `[topics]` for `topics apply`). A section runs to the next,
/// so shared settings go first. One file thus serves the service and its backtest: the
/// engine's settings under `[run, backtest]`, the group, state directory and ports under
/// `[run]`.
enum ConfigFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The arguments with `--config FILE` replaced by the file's settings, placed right
    /// after the subcommand.
    /// - Parameters:
    ///   - arguments: The command line, without the program's name.
    ///   - commands: The subcommands' names, which sections may name.
    static func expand(_ arguments: [String], commands: Set<String>) throws -> [String] {
        guard let at = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else {
            return arguments
        }
        var rest = arguments
        let path: String
        if rest[at].hasPrefix("--config=") {
            path = String(rest[at].dropFirst("--config=".count))
            rest.remove(at: at)
        } else {
            guard at + 1 < rest.count else { throw Failure(description: "--config needs a file") }
            path = rest[at + 1]
            rest.removeSubrange(at...(at + 1))
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read config file \(path): \(error.localizedDescription)")
        }
        // The command is the run of words before the first flag (`topics apply`): its first
        // word names it, and the settings go after the last.
        let words = rest.prefix { !$0.hasPrefix("-") }
        let command = words.first
        var settings: [String] = []
        var section: Set<String>?
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line =
                raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                } ?? ""
            guard !line.isEmpty else { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let names = line.dropFirst().dropLast().split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                guard !names.isEmpty else { throw Failure(description: "\(path):\(n + 1): a section names no command") }
                for name in names where !commands.contains(name) {
                    throw Failure(
                        description:
                            "\(path):\(n + 1): [\(name)] is not a command (\(commands.sorted().joined(separator: ", ")))"
                    )
                }
                section = Set(names)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw Failure(description: "\(path):\(n + 1): expected name: value")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw Failure(description: "\(path):\(n + 1): \"\(name)\" is not a setting name")
            }
            guard section.map({ command.map($0.contains) ?? false }) ?? true else { continue }
            // A flag without a value (`validation: true`) or with one.
            if value == "true" {
                settings.append("--\(name)")
            } else if value != "false" {
                settings += ["--\(name)", value]
            }
        }
        // After the command's words, before the rest; `help` takes no settings.
        if !words.contains("help") { rest.insert(contentsOf: settings, at: words.count) }
        return rest
    }
}
