package org.acmsl.bytehot.domain;

/**
 * An implementation of a {@link Port} on the infrastructure side (hexagonal architecture).
 * @param <P> the port it implements
 */
public interface Adapter<P extends Port> {

    /**
     * The port this adapter implements.
     * @return the port's interface
     */
    Class<P> adapts();
}
