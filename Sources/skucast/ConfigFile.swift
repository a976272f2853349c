import Foundation

/// `--config FILE`: settings from a file, one `name: value` per line (`#` starts a
/// comment), names as the long flags without dashes (`group: planners`,
/// `property: security.protocol=SASL_SSL`, a name may repeat). They stand in front of the
/// command line's own flags, which therefore win; environment variables are only
/// defaults, so a file or a flag overrides them.
///
/// Settings before any section apply to every command; a line `[run]` starts those only
/// `skucast run` takes, `[backtest]` those only the backtest takes, and so on. So one file
/// serves the service and its backtest: the engine's settings at the top, the group,
/// state directory and ports under `[run]`.
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
        // The subcommand is the first argument that is not a flag.
        let commandAt = rest.firstIndex { !$0.hasPrefix("-") }
        let command = commandAt.map { rest[$0] }
        var settings: [String] = []
        var section: String?
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line =
                raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                } ?? ""
            guard !line.isEmpty else { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                guard commands.contains(name) else {
                    throw Failure(
                        description:
                            "\(path):\(n + 1): [\(name)] is not a command (\(commands.sorted().joined(separator: ", ")))"
                    )
                }
                section = name
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
            guard section == nil || section == command else { continue }
            // A flag without a value (`validation: true`) or with one.
            if value == "true" {
                settings.append("--\(name)")
            } else if value != "false" {
                settings += ["--\(name)", value]
            }
        }
        // After the subcommand, before the rest.
        rest.insert(contentsOf: settings, at: commandAt.map { $0 + 1 } ?? 0)
        return rest
    }
}
