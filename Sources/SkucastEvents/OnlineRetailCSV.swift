/// One row of a UCI "Online Retail" order log.
public struct OnlineRetailRow: Sendable, Hashable {
    public var invoice: String
    public var stockCode: String
    public var description: String
    public var quantity: Double
    /// `InvoiceDate`, read as UTC (the file has no zone).
    public var invoiceDate: EventTime
    public var unitPrice: Double
    public var customerID: String?
    public var country: String

    /// A leading `C` on the invoice marks a cancellation.
    public var isCancellation: Bool { invoice.first == "C" || invoice.first == "c" }
}

/// Reads the UCI "Online Retail" CSV layouts: the 2010–2011 file
/// (`InvoiceNo,…,UnitPrice,CustomerID,…`) and "Online Retail II"
/// (`Invoice,…,Price,Customer ID,…`), in any column order.
public struct OnlineRetailCSV: Sendable {
    /// Column positions of the fields, found by header name.
    let invoice, stockCode, description, quantity, invoiceDate, unitPrice, customerID, country: Int
    let columnCount: Int

    /// - Parameter header: The fields of the first line.
    /// - Throws: ``OnlineRetailCSVError`` naming the columns that are missing.
    public init(header: [String]) throws(OnlineRetailCSVError) {
        let names = header.map { $0.trimmingBOM().lowercased().filter { $0 != " " && $0 != "_" } }
        func column(_ aliases: String...) throws(OnlineRetailCSVError) -> Int {
            guard let i = names.firstIndex(where: aliases.contains) else {
                throw OnlineRetailCSVError(
                    line: 1,
                    reason: "no column \(aliases.joined(separator: " or ")) in header \(header)"
                )
            }
            return i
        }
        invoice = try column("invoiceno", "invoice")
        stockCode = try column("stockcode")
        description = try column("description")
        quantity = try column("quantity")
        invoiceDate = try column("invoicedate")
        unitPrice = try column("unitprice", "price")
        customerID = try column("customerid")
        country = try column("country")
        columnCount = header.count
    }

    /// Reads one record.
    /// - Parameters:
    ///   - fields: The record's fields.
    ///   - line: Its line number, for the error.
    /// - Throws: ``OnlineRetailCSVError`` when a field cannot be read.
    public func row(_ fields: [String], line: Int) throws(OnlineRetailCSVError) -> OnlineRetailRow {
        guard fields.count == columnCount else {
            throw OnlineRetailCSVError(line: line, reason: "\(fields.count) fields, expected \(columnCount)")
        }
        guard let quantity = Double(fields[quantity]), quantity.isFinite else {
            throw OnlineRetailCSVError(line: line, reason: "Quantity \"\(fields[quantity])\" is not a number")
        }
        guard let price = Double(fields[unitPrice]), price.isFinite else {
            throw OnlineRetailCSVError(line: line, reason: "price \"\(fields[unitPrice])\" is not a number")
        }
        guard let date = Self.parseDate(fields[invoiceDate]) else {
            throw OnlineRetailCSVError(line: line, reason: "InvoiceDate \"\(fields[invoiceDate])\" is not a date")
        }
        var customer = fields[customerID]
        // Some exports write customer ids as floats ("17850.0").
        if customer.hasSuffix(".0") { customer.removeLast(2) }
        return OnlineRetailRow(
            invoice: fields[invoice],
            stockCode: fields[stockCode],
            description: fields[description],
            quantity: quantity,
            invoiceDate: date,
            unitPrice: price,
            customerID: customer.isEmpty ? nil : customer,
            country: fields[country]
        )
    }

    /// `YYYY-MM-DD HH:MM[:SS]` (the published CSVs) or `M/D/YYYY H:MM` (spreadsheet exports), read as UTC.
    static func parseDate(_ text: String) -> EventTime? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else { return nil }
        let time = parts[1].split(separator: ":").map { Int($0) }
        guard time.count == 2 || time.count == 3, time.allSatisfy({ $0 != nil }) else { return nil }
        let (h, mi, s) = (time[0]!, time[1]!, time.count == 3 ? time[2]! : 0)
        if parts[0].contains("-") {
            let d = parts[0].split(separator: "-").map { Int($0) }
            guard d.count == 3, let y = d[0], let m = d[1], let day = d[2] else { return nil }
            return EventTime(year: y, month: m, day: day, hour: h, minute: mi, second: s)
        }
        let d = parts[0].split(separator: "/").map { Int($0) }
        guard d.count == 3, let m = d[0], let day = d[1], let y = d[2] else { return nil }
        return EventTime(year: y, month: m, day: day, hour: h, minute: mi, second: s)
    }
}

/// A line of an Online Retail CSV that cannot be read.
public struct OnlineRetailCSVError: Error, Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// Turns Online Retail rows into `orders` events: numbers the lines of each invoice and
/// tells sales, cancellations and adjustments apart.
public struct OnlineRetailOrderMapper: Sendable {
    /// The file's currency (the UCI files are in pounds sterling).
    public var currency: String
    /// Lines so far per invoice: an invoice's rows are not always together in the file
    /// (542806 is split), and a line number must not repeat within an order.
    private var lines: [String: Int] = [:]

    public init(currency: String = "GBP") {
        self.currency = currency
    }

    /// The event for the next row, in file order.
    ///
    /// A `C` invoice is a cancellation; other negative quantities are stock adjustments
    /// (damages, write-offs: the file gives them no customer and a zero price); positive
    /// ones are sales. The file has no returns after delivery.
    /// - Throws: ``OnlineRetailCSVError`` for a zero quantity, which no order line has.
    public mutating func event(for row: OnlineRetailRow, line fileLine: Int) throws(OnlineRetailCSVError) -> OrderEvent
    {
        let line = lines[row.invoice, default: 0] + 1
        lines[row.invoice] = line
        let kind: OrderKind
        if row.quantity > 0 && !row.isCancellation {
            kind = .sale
        } else if row.quantity < 0 {
            kind = row.isCancellation ? .cancellation : .adjustment
        } else {
            throw OnlineRetailCSVError(line: fileLine, reason: "quantity \(row.quantity) on invoice \(row.invoice)")
        }
        return OrderEvent(
            orderID: row.invoice,
            line: line,
            sku: row.stockCode,
            quantity: row.quantity,
            kind: kind,
            unitPrice: row.unitPrice,
            currency: currency,
            eventTime: row.invoiceDate,
            customerID: row.customerID,
            region: row.country.isEmpty ? nil : row.country
        )
    }
}

/// Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into records.
public struct CSVRecords: Sequence, IteratorProtocol {
    private let bytes: [UInt8]
    private var position = 0
    /// The line the next record starts on, from 1.
    public private(set) var line = 1

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The next record's fields, or `nil` at the end.
    public mutating func next() -> [String]? {
        guard position < bytes.count else { return nil }
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var i = position
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
            } else if b == UInt8(ascii: "\"") {
                quoted = true
            } else if b == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else if b == 0x0A {
                i += 1
                break
            } else if b != 0x0D {
                field.append(b)
            }
            i += 1
        }
        position = i
        line += 1
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}

extension String {
    func trimmingBOM() -> String { hasPrefix("\u{FEFF}") ? String(dropFirst()) : self }
}

/// Reads a whole Online Retail CSV (either UCI header) as `orders` events, in file order.
public struct OnlineRetailOrderReader: Sequence, IteratorProtocol {
    private var records: CSVRecords
    private let csv: OnlineRetailCSV
    private var mapper: OnlineRetailOrderMapper

    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - currency: The file's currency.
    /// - Throws: ``OnlineRetailCSVError`` when the header lacks a needed column.
    public init(_ bytes: [UInt8], currency: String = "GBP") throws(OnlineRetailCSVError) {
        records = CSVRecords(bytes)
        guard let header = records.next() else { throw OnlineRetailCSVError(line: 1, reason: "empty file") }
        csv = try OnlineRetailCSV(header: header)
        mapper = OnlineRetailOrderMapper(currency: currency)
    }

    /// The next row's event, or why the row could not be read; `nil` at the end.
    public mutating func next() -> Result<OrderEvent, OnlineRetailCSVError>? {
        while true {
            let line = records.line
            guard let fields = records.next() else { return nil }
            if fields == [""] { continue }  // blank line, e.g. after the last newline
            do throws(OnlineRetailCSVError) {
                return .success(try mapper.event(for: csv.row(fields, line: line), line: line))
            } catch {
                return .failure(error)
            }
        }
    }
}
