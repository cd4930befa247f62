package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A numbered ({@code access-list N ...}) or named ({@code ip access-list extended NAME}) access
 * list. Crypto maps use extended lists as traffic selectors. Addresses are prefixes: wildcards must
 * be contiguous (0.0.0.255), as IPsec proxy identities are.
 *
 * @param name     the number or the name.
 * @param extended extended (protocol, source, destination, ports) or standard (source only).
 * @param items    rules and remarks, in order.
 */
public record AccessList(String name, boolean extended, List<Item> items)
{
    public AccessList
    {
        items = List.copyOf(items);
    }

    /** True for the numbered lists (1-199, 1300-2699). */
    public boolean numbered()
    {
        return name.chars().allMatch(Character::isDigit);
    }

    /** The rules without the remarks. */
    public List<Rule> rules()
    {
        return items.stream().filter(Rule.class::isInstance).map(Rule.class::cast).toList();
    }

    /** A line of the list. */
    public sealed interface Item permits Rule, Remark
    {
    }

    /** @param text {@code remark TEXT}. */
    public record Remark(String text) implements Item
    {
    }

    /**
     * {@code permit|deny PROTOCOL SOURCE [PORTS] DESTINATION [PORTS] [log]}.
     *
     * @param permit          permit or deny.
     * @param protocol        the IP protocol number; empty for {@code ip} (any). Standard lists: empty.
     * @param source          {@code any}, {@code host A} or {@code A WILDCARD}, host bits cleared.
     * @param sourcePort      tcp and udp only.
     * @param destination     as source; {@link Ip4Subnet#ANY} in a standard list.
     * @param destinationPort tcp and udp only.
     * @param log             {@code log}.
     */
    public record Rule(
        boolean permit,
        OptionalInt protocol,
        Ip4Subnet source,
        Optional<PortMatch> sourcePort,
        Ip4Subnet destination,
        Optional<PortMatch> destinationPort,
        boolean log) implements Item
    {
    }

    /**
     * {@code eq P}, {@code neq P}, {@code lt P}, {@code gt P}, {@code range LOW HIGH}.
     *
     * @param operator the comparison.
     * @param low      the port, or the low end of a range.
     * @param high     the high end of a range, else equal to low.
     */
    public record PortMatch(Operator operator, int low, int high)
    {
        public enum Operator
        {
            EQ, NEQ, LT, GT, RANGE
        }
    }
}
