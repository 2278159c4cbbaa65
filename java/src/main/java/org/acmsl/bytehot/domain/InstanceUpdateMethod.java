package org.acmsl.bytehot.domain;

/**
 * How existing instances of a redefined class were brought up to date.
 */
public enum InstanceUpdateMethod {
    /** The JVM's redefinition updated them by itself. */
    AUTOMATIC,
    /** Fields were refreshed through reflection. */
    REFLECTION,
    /** Proxies were pointed at new instances. */
    PROXY_REFRESH,
    /** Instances were recreated through their factories. */
    FACTORY_RESET,
    /** Instances were left as they were. */
    NO_UPDATE
}
