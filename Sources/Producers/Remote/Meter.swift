import Foundation
import Planner

/// Counts money as it is spent, and refuses a call once a budget is reached. A build has one;
/// each job has a child that also knows what its own step spent. Thread-safe.
public final class Meter: @unchecked Sendable {
    public let budget: Double?
    private let parent: Meter?
    private let sink: @Sendable (Usage) -> Void
    private let lock = NSLock()
    private var spent = 0.0
    private var calls: [Usage] = []

    /// `sink` receives every call as it is charged (the runner writes it to the ledger at once,
    /// so money spent by a step that later fails is still on record).
    public init(budget: Double? = nil, spent: Double = 0, sink: @escaping @Sendable (Usage) -> Void = { _ in }) {
        self.budget = budget
        self.parent = nil
        self.sink = sink
        self.spent = spent
    }

    private init(parent: Meter, sink: @escaping @Sendable (Usage) -> Void) {
        self.budget = nil
        self.parent = parent
        self.sink = sink
    }

    /// A meter for one job: charges count here and in this meter; `sink` also sees them.
    public func child(sink: @escaping @Sendable (Usage) -> Void = { _ in }) -> Meter { Meter(parent: self, sink: sink) }

    /// Fails if the budget (this meter's or its parent's) is already spent: no new call starts.
    /// A job that has already paid for a call is under way: its later calls (the transcription
    /// of its speech, a repair turn) are let through, so that what it paid for is not thrown away.
    public func admit(_ provider: String) throws(ProducerError) {
        if let parent {
            if !lock.withLock({ calls.isEmpty }) { return }
            try parent.admit(provider)
            return
        }
        guard let budget else { return }
        let s = total
        if s >= budget {
            throw ProducerError("\(provider): not calling: the budget of \(Self.money(budget)) is spent (\(Self.money(s)) so far)",
                                help: "raise --budget, or build again later to resume where this build stopped", budgetReached: true)
        }
    }

    public func charge(_ u: Usage) {
        lock.withLock {
            spent += u.cost
            calls.append(u)
        }
        sink(u)
        parent?.charge(u)
    }

    public var total: Double { lock.withLock { spent } }
    public var usage: [Usage] { lock.withLock { calls } }
    public var budgetReached: Bool { budget.map { total >= $0 } ?? false }

    static func money(_ d: Double) -> String { String(format: "$%.2f", d) }
}
