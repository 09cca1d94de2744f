package org.didmeta.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * MetadataService reads, writes and queries DID metadata across plugins.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class MetadataServiceGrpc {

  private MetadataServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "didmeta.v1.MetadataService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.SetMetadataRequest,
      org.didmeta.v1.SetMetadataResponse> getSetMetadataMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetMetadata",
      requestType = org.didmeta.v1.SetMetadataRequest.class,
      responseType = org.didmeta.v1.SetMetadataResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.SetMetadataRequest,
      org.didmeta.v1.SetMetadataResponse> getSetMetadataMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.SetMetadataRequest, org.didmeta.v1.SetMetadataResponse> getSetMetadataMethod;
    if ((getSetMetadataMethod = MetadataServiceGrpc.getSetMetadataMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getSetMetadataMethod = MetadataServiceGrpc.getSetMetadataMethod) == null) {
          MetadataServiceGrpc.getSetMetadataMethod = getSetMetadataMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.SetMetadataRequest, org.didmeta.v1.SetMetadataResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetMetadata"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetMetadataRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetMetadataResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("SetMetadata"))
              .build();
        }
      }
    }
    return getSetMetadataMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.SetMetadataBulkRequest,
      org.didmeta.v1.SetMetadataBulkResponse> getSetMetadataBulkMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetMetadataBulk",
      requestType = org.didmeta.v1.SetMetadataBulkRequest.class,
      responseType = org.didmeta.v1.SetMetadataBulkResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.SetMetadataBulkRequest,
      org.didmeta.v1.SetMetadataBulkResponse> getSetMetadataBulkMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.SetMetadataBulkRequest, org.didmeta.v1.SetMetadataBulkResponse> getSetMetadataBulkMethod;
    if ((getSetMetadataBulkMethod = MetadataServiceGrpc.getSetMetadataBulkMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getSetMetadataBulkMethod = MetadataServiceGrpc.getSetMetadataBulkMethod) == null) {
          MetadataServiceGrpc.getSetMetadataBulkMethod = getSetMetadataBulkMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.SetMetadataBulkRequest, org.didmeta.v1.SetMetadataBulkResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetMetadataBulk"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetMetadataBulkRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetMetadataBulkResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("SetMetadataBulk"))
              .build();
        }
      }
    }
    return getSetMetadataBulkMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.LoadDidsRequest,
      org.didmeta.v1.LoadDidsResponse> getLoadDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "LoadDids",
      requestType = org.didmeta.v1.LoadDidsRequest.class,
      responseType = org.didmeta.v1.LoadDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.LoadDidsRequest,
      org.didmeta.v1.LoadDidsResponse> getLoadDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.LoadDidsRequest, org.didmeta.v1.LoadDidsResponse> getLoadDidsMethod;
    if ((getLoadDidsMethod = MetadataServiceGrpc.getLoadDidsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getLoadDidsMethod = MetadataServiceGrpc.getLoadDidsMethod) == null) {
          MetadataServiceGrpc.getLoadDidsMethod = getLoadDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.LoadDidsRequest, org.didmeta.v1.LoadDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "LoadDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.LoadDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.LoadDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("LoadDids"))
              .build();
        }
      }
    }
    return getLoadDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.GetMetadataRequest,
      org.didmeta.v1.GetMetadataResponse> getGetMetadataMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetMetadata",
      requestType = org.didmeta.v1.GetMetadataRequest.class,
      responseType = org.didmeta.v1.GetMetadataResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.GetMetadataRequest,
      org.didmeta.v1.GetMetadataResponse> getGetMetadataMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.GetMetadataRequest, org.didmeta.v1.GetMetadataResponse> getGetMetadataMethod;
    if ((getGetMetadataMethod = MetadataServiceGrpc.getGetMetadataMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getGetMetadataMethod = MetadataServiceGrpc.getGetMetadataMethod) == null) {
          MetadataServiceGrpc.getGetMetadataMethod = getGetMetadataMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.GetMetadataRequest, org.didmeta.v1.GetMetadataResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetMetadata"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetMetadataRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetMetadataResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("GetMetadata"))
              .build();
        }
      }
    }
    return getGetMetadataMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.GetMetadataBulkRequest,
      org.didmeta.v1.GetMetadataBulkResponse> getGetMetadataBulkMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetMetadataBulk",
      requestType = org.didmeta.v1.GetMetadataBulkRequest.class,
      responseType = org.didmeta.v1.GetMetadataBulkResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.GetMetadataBulkRequest,
      org.didmeta.v1.GetMetadataBulkResponse> getGetMetadataBulkMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.GetMetadataBulkRequest, org.didmeta.v1.GetMetadataBulkResponse> getGetMetadataBulkMethod;
    if ((getGetMetadataBulkMethod = MetadataServiceGrpc.getGetMetadataBulkMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getGetMetadataBulkMethod = MetadataServiceGrpc.getGetMetadataBulkMethod) == null) {
          MetadataServiceGrpc.getGetMetadataBulkMethod = getGetMetadataBulkMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.GetMetadataBulkRequest, org.didmeta.v1.GetMetadataBulkResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetMetadataBulk"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetMetadataBulkRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetMetadataBulkResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("GetMetadataBulk"))
              .build();
        }
      }
    }
    return getGetMetadataBulkMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.DeleteMetadataRequest,
      org.didmeta.v1.DeleteMetadataResponse> getDeleteMetadataMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteMetadata",
      requestType = org.didmeta.v1.DeleteMetadataRequest.class,
      responseType = org.didmeta.v1.DeleteMetadataResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.DeleteMetadataRequest,
      org.didmeta.v1.DeleteMetadataResponse> getDeleteMetadataMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.DeleteMetadataRequest, org.didmeta.v1.DeleteMetadataResponse> getDeleteMetadataMethod;
    if ((getDeleteMetadataMethod = MetadataServiceGrpc.getDeleteMetadataMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getDeleteMetadataMethod = MetadataServiceGrpc.getDeleteMetadataMethod) == null) {
          MetadataServiceGrpc.getDeleteMetadataMethod = getDeleteMetadataMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.DeleteMetadataRequest, org.didmeta.v1.DeleteMetadataResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteMetadata"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteMetadataRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteMetadataResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("DeleteMetadata"))
              .build();
        }
      }
    }
    return getDeleteMetadataMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListDidsRequest,
      org.didmeta.v1.ListDidsResponse> getListDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListDids",
      requestType = org.didmeta.v1.ListDidsRequest.class,
      responseType = org.didmeta.v1.ListDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListDidsRequest,
      org.didmeta.v1.ListDidsResponse> getListDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListDidsRequest, org.didmeta.v1.ListDidsResponse> getListDidsMethod;
    if ((getListDidsMethod = MetadataServiceGrpc.getListDidsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getListDidsMethod = MetadataServiceGrpc.getListDidsMethod) == null) {
          MetadataServiceGrpc.getListDidsMethod = getListDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListDidsRequest, org.didmeta.v1.ListDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("ListDids"))
              .build();
        }
      }
    }
    return getListDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.CountDidsRequest,
      org.didmeta.v1.CountDidsResponse> getCountDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CountDids",
      requestType = org.didmeta.v1.CountDidsRequest.class,
      responseType = org.didmeta.v1.CountDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.CountDidsRequest,
      org.didmeta.v1.CountDidsResponse> getCountDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.CountDidsRequest, org.didmeta.v1.CountDidsResponse> getCountDidsMethod;
    if ((getCountDidsMethod = MetadataServiceGrpc.getCountDidsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getCountDidsMethod = MetadataServiceGrpc.getCountDidsMethod) == null) {
          MetadataServiceGrpc.getCountDidsMethod = getCountDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.CountDidsRequest, org.didmeta.v1.CountDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CountDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.CountDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.CountDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("CountDids"))
              .build();
        }
      }
    }
    return getCountDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.FacetDidsRequest,
      org.didmeta.v1.FacetDidsResponse> getFacetDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FacetDids",
      requestType = org.didmeta.v1.FacetDidsRequest.class,
      responseType = org.didmeta.v1.FacetDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.FacetDidsRequest,
      org.didmeta.v1.FacetDidsResponse> getFacetDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.FacetDidsRequest, org.didmeta.v1.FacetDidsResponse> getFacetDidsMethod;
    if ((getFacetDidsMethod = MetadataServiceGrpc.getFacetDidsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getFacetDidsMethod = MetadataServiceGrpc.getFacetDidsMethod) == null) {
          MetadataServiceGrpc.getFacetDidsMethod = getFacetDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.FacetDidsRequest, org.didmeta.v1.FacetDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FacetDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.FacetDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.FacetDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("FacetDids"))
              .build();
        }
      }
    }
    return getFacetDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ExplainDidsRequest,
      org.didmeta.v1.ExplainDidsResponse> getExplainDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ExplainDids",
      requestType = org.didmeta.v1.ExplainDidsRequest.class,
      responseType = org.didmeta.v1.ExplainDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ExplainDidsRequest,
      org.didmeta.v1.ExplainDidsResponse> getExplainDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ExplainDidsRequest, org.didmeta.v1.ExplainDidsResponse> getExplainDidsMethod;
    if ((getExplainDidsMethod = MetadataServiceGrpc.getExplainDidsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getExplainDidsMethod = MetadataServiceGrpc.getExplainDidsMethod) == null) {
          MetadataServiceGrpc.getExplainDidsMethod = getExplainDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ExplainDidsRequest, org.didmeta.v1.ExplainDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ExplainDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ExplainDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ExplainDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("ExplainDids"))
              .build();
        }
      }
    }
    return getExplainDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.DeclareKeyRequest,
      org.didmeta.v1.DeclareKeyResponse> getDeclareKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeclareKey",
      requestType = org.didmeta.v1.DeclareKeyRequest.class,
      responseType = org.didmeta.v1.DeclareKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.DeclareKeyRequest,
      org.didmeta.v1.DeclareKeyResponse> getDeclareKeyMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.DeclareKeyRequest, org.didmeta.v1.DeclareKeyResponse> getDeclareKeyMethod;
    if ((getDeclareKeyMethod = MetadataServiceGrpc.getDeclareKeyMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getDeclareKeyMethod = MetadataServiceGrpc.getDeclareKeyMethod) == null) {
          MetadataServiceGrpc.getDeclareKeyMethod = getDeclareKeyMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.DeclareKeyRequest, org.didmeta.v1.DeclareKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeclareKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeclareKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeclareKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("DeclareKey"))
              .build();
        }
      }
    }
    return getDeclareKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListKeysRequest,
      org.didmeta.v1.ListKeysResponse> getListKeysMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListKeys",
      requestType = org.didmeta.v1.ListKeysRequest.class,
      responseType = org.didmeta.v1.ListKeysResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListKeysRequest,
      org.didmeta.v1.ListKeysResponse> getListKeysMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListKeysRequest, org.didmeta.v1.ListKeysResponse> getListKeysMethod;
    if ((getListKeysMethod = MetadataServiceGrpc.getListKeysMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getListKeysMethod = MetadataServiceGrpc.getListKeysMethod) == null) {
          MetadataServiceGrpc.getListKeysMethod = getListKeysMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListKeysRequest, org.didmeta.v1.ListKeysResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListKeys"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListKeysRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListKeysResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("ListKeys"))
              .build();
        }
      }
    }
    return getListKeysMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.GetKeyRequest,
      org.didmeta.v1.GetKeyResponse> getGetKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetKey",
      requestType = org.didmeta.v1.GetKeyRequest.class,
      responseType = org.didmeta.v1.GetKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.GetKeyRequest,
      org.didmeta.v1.GetKeyResponse> getGetKeyMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.GetKeyRequest, org.didmeta.v1.GetKeyResponse> getGetKeyMethod;
    if ((getGetKeyMethod = MetadataServiceGrpc.getGetKeyMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getGetKeyMethod = MetadataServiceGrpc.getGetKeyMethod) == null) {
          MetadataServiceGrpc.getGetKeyMethod = getGetKeyMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.GetKeyRequest, org.didmeta.v1.GetKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("GetKey"))
              .build();
        }
      }
    }
    return getGetKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.DeleteKeyRequest,
      org.didmeta.v1.DeleteKeyResponse> getDeleteKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteKey",
      requestType = org.didmeta.v1.DeleteKeyRequest.class,
      responseType = org.didmeta.v1.DeleteKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.DeleteKeyRequest,
      org.didmeta.v1.DeleteKeyResponse> getDeleteKeyMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.DeleteKeyRequest, org.didmeta.v1.DeleteKeyResponse> getDeleteKeyMethod;
    if ((getDeleteKeyMethod = MetadataServiceGrpc.getDeleteKeyMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getDeleteKeyMethod = MetadataServiceGrpc.getDeleteKeyMethod) == null) {
          MetadataServiceGrpc.getDeleteKeyMethod = getDeleteKeyMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.DeleteKeyRequest, org.didmeta.v1.DeleteKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("DeleteKey"))
              .build();
        }
      }
    }
    return getDeleteKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.SaveQueryRequest,
      org.didmeta.v1.SaveQueryResponse> getSaveQueryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SaveQuery",
      requestType = org.didmeta.v1.SaveQueryRequest.class,
      responseType = org.didmeta.v1.SaveQueryResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.SaveQueryRequest,
      org.didmeta.v1.SaveQueryResponse> getSaveQueryMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.SaveQueryRequest, org.didmeta.v1.SaveQueryResponse> getSaveQueryMethod;
    if ((getSaveQueryMethod = MetadataServiceGrpc.getSaveQueryMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getSaveQueryMethod = MetadataServiceGrpc.getSaveQueryMethod) == null) {
          MetadataServiceGrpc.getSaveQueryMethod = getSaveQueryMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.SaveQueryRequest, org.didmeta.v1.SaveQueryResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SaveQuery"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SaveQueryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SaveQueryResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("SaveQuery"))
              .build();
        }
      }
    }
    return getSaveQueryMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListSavedQueriesRequest,
      org.didmeta.v1.ListSavedQueriesResponse> getListSavedQueriesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListSavedQueries",
      requestType = org.didmeta.v1.ListSavedQueriesRequest.class,
      responseType = org.didmeta.v1.ListSavedQueriesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListSavedQueriesRequest,
      org.didmeta.v1.ListSavedQueriesResponse> getListSavedQueriesMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListSavedQueriesRequest, org.didmeta.v1.ListSavedQueriesResponse> getListSavedQueriesMethod;
    if ((getListSavedQueriesMethod = MetadataServiceGrpc.getListSavedQueriesMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getListSavedQueriesMethod = MetadataServiceGrpc.getListSavedQueriesMethod) == null) {
          MetadataServiceGrpc.getListSavedQueriesMethod = getListSavedQueriesMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListSavedQueriesRequest, org.didmeta.v1.ListSavedQueriesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListSavedQueries"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListSavedQueriesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListSavedQueriesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("ListSavedQueries"))
              .build();
        }
      }
    }
    return getListSavedQueriesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.GetSavedQueryRequest,
      org.didmeta.v1.GetSavedQueryResponse> getGetSavedQueryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetSavedQuery",
      requestType = org.didmeta.v1.GetSavedQueryRequest.class,
      responseType = org.didmeta.v1.GetSavedQueryResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.GetSavedQueryRequest,
      org.didmeta.v1.GetSavedQueryResponse> getGetSavedQueryMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.GetSavedQueryRequest, org.didmeta.v1.GetSavedQueryResponse> getGetSavedQueryMethod;
    if ((getGetSavedQueryMethod = MetadataServiceGrpc.getGetSavedQueryMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getGetSavedQueryMethod = MetadataServiceGrpc.getGetSavedQueryMethod) == null) {
          MetadataServiceGrpc.getGetSavedQueryMethod = getGetSavedQueryMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.GetSavedQueryRequest, org.didmeta.v1.GetSavedQueryResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetSavedQuery"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetSavedQueryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetSavedQueryResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("GetSavedQuery"))
              .build();
        }
      }
    }
    return getGetSavedQueryMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.DeleteSavedQueryRequest,
      org.didmeta.v1.DeleteSavedQueryResponse> getDeleteSavedQueryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteSavedQuery",
      requestType = org.didmeta.v1.DeleteSavedQueryRequest.class,
      responseType = org.didmeta.v1.DeleteSavedQueryResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.DeleteSavedQueryRequest,
      org.didmeta.v1.DeleteSavedQueryResponse> getDeleteSavedQueryMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.DeleteSavedQueryRequest, org.didmeta.v1.DeleteSavedQueryResponse> getDeleteSavedQueryMethod;
    if ((getDeleteSavedQueryMethod = MetadataServiceGrpc.getDeleteSavedQueryMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getDeleteSavedQueryMethod = MetadataServiceGrpc.getDeleteSavedQueryMethod) == null) {
          MetadataServiceGrpc.getDeleteSavedQueryMethod = getDeleteSavedQueryMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.DeleteSavedQueryRequest, org.didmeta.v1.DeleteSavedQueryResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteSavedQuery"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteSavedQueryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteSavedQueryResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("DeleteSavedQuery"))
              .build();
        }
      }
    }
    return getDeleteSavedQueryMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.FreezeDidsRequest,
      org.didmeta.v1.FreezeDidsResponse> getFreezeDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FreezeDids",
      requestType = org.didmeta.v1.FreezeDidsRequest.class,
      responseType = org.didmeta.v1.FreezeDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.FreezeDidsRequest,
      org.didmeta.v1.FreezeDidsResponse> getFreezeDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.FreezeDidsRequest, org.didmeta.v1.FreezeDidsResponse> getFreezeDidsMethod;
    if ((getFreezeDidsMethod = MetadataServiceGrpc.getFreezeDidsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getFreezeDidsMethod = MetadataServiceGrpc.getFreezeDidsMethod) == null) {
          MetadataServiceGrpc.getFreezeDidsMethod = getFreezeDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.FreezeDidsRequest, org.didmeta.v1.FreezeDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FreezeDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.FreezeDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.FreezeDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("FreezeDids"))
              .build();
        }
      }
    }
    return getFreezeDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListPluginsRequest,
      org.didmeta.v1.ListPluginsResponse> getListPluginsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListPlugins",
      requestType = org.didmeta.v1.ListPluginsRequest.class,
      responseType = org.didmeta.v1.ListPluginsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListPluginsRequest,
      org.didmeta.v1.ListPluginsResponse> getListPluginsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListPluginsRequest, org.didmeta.v1.ListPluginsResponse> getListPluginsMethod;
    if ((getListPluginsMethod = MetadataServiceGrpc.getListPluginsMethod) == null) {
      synchronized (MetadataServiceGrpc.class) {
        if ((getListPluginsMethod = MetadataServiceGrpc.getListPluginsMethod) == null) {
          MetadataServiceGrpc.getListPluginsMethod = getListPluginsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListPluginsRequest, org.didmeta.v1.ListPluginsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListPlugins"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListPluginsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListPluginsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MetadataServiceMethodDescriptorSupplier("ListPlugins"))
              .build();
        }
      }
    }
    return getListPluginsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static MetadataServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MetadataServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MetadataServiceStub>() {
        @java.lang.Override
        public MetadataServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MetadataServiceStub(channel, callOptions);
        }
      };
    return MetadataServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static MetadataServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MetadataServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MetadataServiceBlockingV2Stub>() {
        @java.lang.Override
        public MetadataServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MetadataServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return MetadataServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static MetadataServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MetadataServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MetadataServiceBlockingStub>() {
        @java.lang.Override
        public MetadataServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MetadataServiceBlockingStub(channel, callOptions);
        }
      };
    return MetadataServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static MetadataServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MetadataServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MetadataServiceFutureStub>() {
        @java.lang.Override
        public MetadataServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MetadataServiceFutureStub(channel, callOptions);
        }
      };
    return MetadataServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * MetadataService reads, writes and queries DID metadata across plugins.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * SetMetadata sets one or many keys on one DID (upsert, shallow merge per key).
     * </pre>
     */
    default void setMetadata(org.didmeta.v1.SetMetadataRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetMetadataResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetMetadataMethod(), responseObserver);
    }

    /**
     * <pre>
     * SetMetadataBulk sets keys on many DIDs in one atomic request.
     * </pre>
     */
    default void setMetadataBulk(org.didmeta.v1.SetMetadataBulkRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetMetadataBulkResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetMetadataBulkMethod(), responseObserver);
    }

    /**
     * <pre>
     * LoadDids is the client-streaming bulk load: each message (a chunk) creates
     * DIDs, sets metadata and makes attachments, atomically per chunk.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<org.didmeta.v1.LoadDidsRequest> loadDids(
        io.grpc.stub.StreamObserver<org.didmeta.v1.LoadDidsResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getLoadDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetMetadata returns one DID's metadata from one plugin or from ALL.
     * </pre>
     */
    default void getMetadata(org.didmeta.v1.GetMetadataRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetMetadataResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetMetadataMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetMetadataBulk streams the metadata of many DIDs; missing DIDs are reported.
     * </pre>
     */
    default void getMetadataBulk(org.didmeta.v1.GetMetadataBulkRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetMetadataBulkResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetMetadataBulkMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteMetadata deletes keys of one DID from their owning plugins.
     * </pre>
     */
    default void deleteMetadata(org.didmeta.v1.DeleteMetadataRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteMetadataResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteMetadataMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListDids streams the DIDs matching a filter, in batches, in (scope, name) order.
     * </pre>
     */
    default void listDids(org.didmeta.v1.ListDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CountDids counts the DIDs a ListDids with the same arguments would return.
     * </pre>
     */
    default void countDids(org.didmeta.v1.CountDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.CountDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCountDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * FacetDids summarises the values of keys over the DIDs a ListDids with the same arguments would
     * return: top values with counts, histograms, and the number of DIDs lacking each key.
     * </pre>
     */
    default void facetDids(org.didmeta.v1.FacetDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.FacetDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFacetDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ExplainDids shows how a ListDids with the same arguments would run: the parsed filter, the
     * plugin of each clause, the query each backend runs and the catalogue database's plan.
     * </pre>
     */
    default void explainDids(org.didmeta.v1.ExplainDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ExplainDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getExplainDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeclareKey declares (or redeclares) a metadata key's type and constraints (admins) and reports
     * the existing DIDs whose value violates the declaration.
     * </pre>
     */
    default void declareKey(org.didmeta.v1.DeclareKeyRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeclareKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeclareKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListKeys lists the declared keys, by key.
     * </pre>
     */
    default void listKeys(org.didmeta.v1.ListKeysRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListKeysResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListKeysMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetKey returns one declaration (NOT_FOUND if the key is not declared).
     * </pre>
     */
    default void getKey(org.didmeta.v1.GetKeyRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteKey removes a declaration (admins); the key's values stay.
     * </pre>
     */
    default void deleteKey(org.didmeta.v1.DeleteKeyRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * SaveQuery stores a named query (the arguments of a listing), owned by the caller's account.
     * </pre>
     */
    default void saveQuery(org.didmeta.v1.SaveQueryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SaveQueryResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSaveQueryMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListSavedQueries lists an account's saved queries (default: the caller's), by name.
     * </pre>
     */
    default void listSavedQueries(org.didmeta.v1.ListSavedQueriesRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListSavedQueriesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListSavedQueriesMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetSavedQuery returns one saved query (NOT_FOUND if there is none of that name).
     * </pre>
     */
    default void getSavedQuery(org.didmeta.v1.GetSavedQueryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetSavedQueryResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetSavedQueryMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteSavedQuery deletes one of the caller's saved queries.
     * </pre>
     */
    default void deleteSavedQuery(org.didmeta.v1.DeleteSavedQueryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteSavedQueryResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteSavedQueryMethod(), responseObserver);
    }

    /**
     * <pre>
     * FreezeDids creates a DATASET or CONTAINER whose content is exactly the DIDs a listing returns
     * now, records the query, the time and the count in its metadata, and closes it.
     * </pre>
     */
    default void freezeDids(org.didmeta.v1.FreezeDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.FreezeDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFreezeDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListPlugins lists the enabled plugins, in order, with their capabilities.
     * </pre>
     */
    default void listPlugins(org.didmeta.v1.ListPluginsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListPluginsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListPluginsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service MetadataService.
   * <pre>
   * MetadataService reads, writes and queries DID metadata across plugins.
   * </pre>
   */
  public static abstract class MetadataServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return MetadataServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service MetadataService.
   * <pre>
   * MetadataService reads, writes and queries DID metadata across plugins.
   * </pre>
   */
  public static final class MetadataServiceStub
      extends io.grpc.stub.AbstractAsyncStub<MetadataServiceStub> {
    private MetadataServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MetadataServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MetadataServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * SetMetadata sets one or many keys on one DID (upsert, shallow merge per key).
     * </pre>
     */
    public void setMetadata(org.didmeta.v1.SetMetadataRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetMetadataResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetMetadataMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SetMetadataBulk sets keys on many DIDs in one atomic request.
     * </pre>
     */
    public void setMetadataBulk(org.didmeta.v1.SetMetadataBulkRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetMetadataBulkResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetMetadataBulkMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * LoadDids is the client-streaming bulk load: each message (a chunk) creates
     * DIDs, sets metadata and makes attachments, atomically per chunk.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<org.didmeta.v1.LoadDidsRequest> loadDids(
        io.grpc.stub.StreamObserver<org.didmeta.v1.LoadDidsResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getLoadDidsMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * GetMetadata returns one DID's metadata from one plugin or from ALL.
     * </pre>
     */
    public void getMetadata(org.didmeta.v1.GetMetadataRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetMetadataResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetMetadataMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetMetadataBulk streams the metadata of many DIDs; missing DIDs are reported.
     * </pre>
     */
    public void getMetadataBulk(org.didmeta.v1.GetMetadataBulkRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetMetadataBulkResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getGetMetadataBulkMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteMetadata deletes keys of one DID from their owning plugins.
     * </pre>
     */
    public void deleteMetadata(org.didmeta.v1.DeleteMetadataRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteMetadataResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteMetadataMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListDids streams the DIDs matching a filter, in batches, in (scope, name) order.
     * </pre>
     */
    public void listDids(org.didmeta.v1.ListDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getListDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CountDids counts the DIDs a ListDids with the same arguments would return.
     * </pre>
     */
    public void countDids(org.didmeta.v1.CountDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.CountDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCountDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * FacetDids summarises the values of keys over the DIDs a ListDids with the same arguments would
     * return: top values with counts, histograms, and the number of DIDs lacking each key.
     * </pre>
     */
    public void facetDids(org.didmeta.v1.FacetDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.FacetDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFacetDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ExplainDids shows how a ListDids with the same arguments would run: the parsed filter, the
     * plugin of each clause, the query each backend runs and the catalogue database's plan.
     * </pre>
     */
    public void explainDids(org.didmeta.v1.ExplainDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ExplainDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getExplainDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeclareKey declares (or redeclares) a metadata key's type and constraints (admins) and reports
     * the existing DIDs whose value violates the declaration.
     * </pre>
     */
    public void declareKey(org.didmeta.v1.DeclareKeyRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeclareKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeclareKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListKeys lists the declared keys, by key.
     * </pre>
     */
    public void listKeys(org.didmeta.v1.ListKeysRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListKeysResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListKeysMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetKey returns one declaration (NOT_FOUND if the key is not declared).
     * </pre>
     */
    public void getKey(org.didmeta.v1.GetKeyRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteKey removes a declaration (admins); the key's values stay.
     * </pre>
     */
    public void deleteKey(org.didmeta.v1.DeleteKeyRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SaveQuery stores a named query (the arguments of a listing), owned by the caller's account.
     * </pre>
     */
    public void saveQuery(org.didmeta.v1.SaveQueryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SaveQueryResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSaveQueryMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListSavedQueries lists an account's saved queries (default: the caller's), by name.
     * </pre>
     */
    public void listSavedQueries(org.didmeta.v1.ListSavedQueriesRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListSavedQueriesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListSavedQueriesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetSavedQuery returns one saved query (NOT_FOUND if there is none of that name).
     * </pre>
     */
    public void getSavedQuery(org.didmeta.v1.GetSavedQueryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetSavedQueryResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetSavedQueryMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteSavedQuery deletes one of the caller's saved queries.
     * </pre>
     */
    public void deleteSavedQuery(org.didmeta.v1.DeleteSavedQueryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteSavedQueryResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteSavedQueryMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * FreezeDids creates a DATASET or CONTAINER whose content is exactly the DIDs a listing returns
     * now, records the query, the time and the count in its metadata, and closes it.
     * </pre>
     */
    public void freezeDids(org.didmeta.v1.FreezeDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.FreezeDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFreezeDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListPlugins lists the enabled plugins, in order, with their capabilities.
     * </pre>
     */
    public void listPlugins(org.didmeta.v1.ListPluginsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListPluginsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListPluginsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service MetadataService.
   * <pre>
   * MetadataService reads, writes and queries DID metadata across plugins.
   * </pre>
   */
  public static final class MetadataServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<MetadataServiceBlockingV2Stub> {
    private MetadataServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MetadataServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MetadataServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * SetMetadata sets one or many keys on one DID (upsert, shallow merge per key).
     * </pre>
     */
    public org.didmeta.v1.SetMetadataResponse setMetadata(org.didmeta.v1.SetMetadataRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetMetadataBulk sets keys on many DIDs in one atomic request.
     * </pre>
     */
    public org.didmeta.v1.SetMetadataBulkResponse setMetadataBulk(org.didmeta.v1.SetMetadataBulkRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetMetadataBulkMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * LoadDids is the client-streaming bulk load: each message (a chunk) creates
     * DIDs, sets metadata and makes attachments, atomically per chunk.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<org.didmeta.v1.LoadDidsRequest, org.didmeta.v1.LoadDidsResponse>
        loadDids() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getLoadDidsMethod(), getCallOptions());
    }

    /**
     * <pre>
     * GetMetadata returns one DID's metadata from one plugin or from ALL.
     * </pre>
     */
    public org.didmeta.v1.GetMetadataResponse getMetadata(org.didmeta.v1.GetMetadataRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetMetadataBulk streams the metadata of many DIDs; missing DIDs are reported.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, org.didmeta.v1.GetMetadataBulkResponse>
        getMetadataBulk(org.didmeta.v1.GetMetadataBulkRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getGetMetadataBulkMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteMetadata deletes keys of one DID from their owning plugins.
     * </pre>
     */
    public org.didmeta.v1.DeleteMetadataResponse deleteMetadata(org.didmeta.v1.DeleteMetadataRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListDids streams the DIDs matching a filter, in batches, in (scope, name) order.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, org.didmeta.v1.ListDidsResponse>
        listDids(org.didmeta.v1.ListDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getListDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CountDids counts the DIDs a ListDids with the same arguments would return.
     * </pre>
     */
    public org.didmeta.v1.CountDidsResponse countDids(org.didmeta.v1.CountDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCountDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FacetDids summarises the values of keys over the DIDs a ListDids with the same arguments would
     * return: top values with counts, histograms, and the number of DIDs lacking each key.
     * </pre>
     */
    public org.didmeta.v1.FacetDidsResponse facetDids(org.didmeta.v1.FacetDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getFacetDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ExplainDids shows how a ListDids with the same arguments would run: the parsed filter, the
     * plugin of each clause, the query each backend runs and the catalogue database's plan.
     * </pre>
     */
    public org.didmeta.v1.ExplainDidsResponse explainDids(org.didmeta.v1.ExplainDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getExplainDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeclareKey declares (or redeclares) a metadata key's type and constraints (admins) and reports
     * the existing DIDs whose value violates the declaration.
     * </pre>
     */
    public org.didmeta.v1.DeclareKeyResponse declareKey(org.didmeta.v1.DeclareKeyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeclareKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListKeys lists the declared keys, by key.
     * </pre>
     */
    public org.didmeta.v1.ListKeysResponse listKeys(org.didmeta.v1.ListKeysRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListKeysMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetKey returns one declaration (NOT_FOUND if the key is not declared).
     * </pre>
     */
    public org.didmeta.v1.GetKeyResponse getKey(org.didmeta.v1.GetKeyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteKey removes a declaration (admins); the key's values stay.
     * </pre>
     */
    public org.didmeta.v1.DeleteKeyResponse deleteKey(org.didmeta.v1.DeleteKeyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SaveQuery stores a named query (the arguments of a listing), owned by the caller's account.
     * </pre>
     */
    public org.didmeta.v1.SaveQueryResponse saveQuery(org.didmeta.v1.SaveQueryRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSaveQueryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListSavedQueries lists an account's saved queries (default: the caller's), by name.
     * </pre>
     */
    public org.didmeta.v1.ListSavedQueriesResponse listSavedQueries(org.didmeta.v1.ListSavedQueriesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListSavedQueriesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetSavedQuery returns one saved query (NOT_FOUND if there is none of that name).
     * </pre>
     */
    public org.didmeta.v1.GetSavedQueryResponse getSavedQuery(org.didmeta.v1.GetSavedQueryRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetSavedQueryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteSavedQuery deletes one of the caller's saved queries.
     * </pre>
     */
    public org.didmeta.v1.DeleteSavedQueryResponse deleteSavedQuery(org.didmeta.v1.DeleteSavedQueryRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteSavedQueryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FreezeDids creates a DATASET or CONTAINER whose content is exactly the DIDs a listing returns
     * now, records the query, the time and the count in its metadata, and closes it.
     * </pre>
     */
    public org.didmeta.v1.FreezeDidsResponse freezeDids(org.didmeta.v1.FreezeDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getFreezeDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListPlugins lists the enabled plugins, in order, with their capabilities.
     * </pre>
     */
    public org.didmeta.v1.ListPluginsResponse listPlugins(org.didmeta.v1.ListPluginsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListPluginsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service MetadataService.
   * <pre>
   * MetadataService reads, writes and queries DID metadata across plugins.
   * </pre>
   */
  public static final class MetadataServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<MetadataServiceBlockingStub> {
    private MetadataServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MetadataServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MetadataServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * SetMetadata sets one or many keys on one DID (upsert, shallow merge per key).
     * </pre>
     */
    public org.didmeta.v1.SetMetadataResponse setMetadata(org.didmeta.v1.SetMetadataRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetMetadataBulk sets keys on many DIDs in one atomic request.
     * </pre>
     */
    public org.didmeta.v1.SetMetadataBulkResponse setMetadataBulk(org.didmeta.v1.SetMetadataBulkRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetMetadataBulkMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetMetadata returns one DID's metadata from one plugin or from ALL.
     * </pre>
     */
    public org.didmeta.v1.GetMetadataResponse getMetadata(org.didmeta.v1.GetMetadataRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetMetadataBulk streams the metadata of many DIDs; missing DIDs are reported.
     * </pre>
     */
    public java.util.Iterator<org.didmeta.v1.GetMetadataBulkResponse> getMetadataBulk(
        org.didmeta.v1.GetMetadataBulkRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getGetMetadataBulkMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteMetadata deletes keys of one DID from their owning plugins.
     * </pre>
     */
    public org.didmeta.v1.DeleteMetadataResponse deleteMetadata(org.didmeta.v1.DeleteMetadataRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListDids streams the DIDs matching a filter, in batches, in (scope, name) order.
     * </pre>
     */
    public java.util.Iterator<org.didmeta.v1.ListDidsResponse> listDids(
        org.didmeta.v1.ListDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getListDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CountDids counts the DIDs a ListDids with the same arguments would return.
     * </pre>
     */
    public org.didmeta.v1.CountDidsResponse countDids(org.didmeta.v1.CountDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCountDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FacetDids summarises the values of keys over the DIDs a ListDids with the same arguments would
     * return: top values with counts, histograms, and the number of DIDs lacking each key.
     * </pre>
     */
    public org.didmeta.v1.FacetDidsResponse facetDids(org.didmeta.v1.FacetDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFacetDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ExplainDids shows how a ListDids with the same arguments would run: the parsed filter, the
     * plugin of each clause, the query each backend runs and the catalogue database's plan.
     * </pre>
     */
    public org.didmeta.v1.ExplainDidsResponse explainDids(org.didmeta.v1.ExplainDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getExplainDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeclareKey declares (or redeclares) a metadata key's type and constraints (admins) and reports
     * the existing DIDs whose value violates the declaration.
     * </pre>
     */
    public org.didmeta.v1.DeclareKeyResponse declareKey(org.didmeta.v1.DeclareKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeclareKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListKeys lists the declared keys, by key.
     * </pre>
     */
    public org.didmeta.v1.ListKeysResponse listKeys(org.didmeta.v1.ListKeysRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListKeysMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetKey returns one declaration (NOT_FOUND if the key is not declared).
     * </pre>
     */
    public org.didmeta.v1.GetKeyResponse getKey(org.didmeta.v1.GetKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteKey removes a declaration (admins); the key's values stay.
     * </pre>
     */
    public org.didmeta.v1.DeleteKeyResponse deleteKey(org.didmeta.v1.DeleteKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SaveQuery stores a named query (the arguments of a listing), owned by the caller's account.
     * </pre>
     */
    public org.didmeta.v1.SaveQueryResponse saveQuery(org.didmeta.v1.SaveQueryRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSaveQueryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListSavedQueries lists an account's saved queries (default: the caller's), by name.
     * </pre>
     */
    public org.didmeta.v1.ListSavedQueriesResponse listSavedQueries(org.didmeta.v1.ListSavedQueriesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListSavedQueriesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetSavedQuery returns one saved query (NOT_FOUND if there is none of that name).
     * </pre>
     */
    public org.didmeta.v1.GetSavedQueryResponse getSavedQuery(org.didmeta.v1.GetSavedQueryRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetSavedQueryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteSavedQuery deletes one of the caller's saved queries.
     * </pre>
     */
    public org.didmeta.v1.DeleteSavedQueryResponse deleteSavedQuery(org.didmeta.v1.DeleteSavedQueryRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteSavedQueryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FreezeDids creates a DATASET or CONTAINER whose content is exactly the DIDs a listing returns
     * now, records the query, the time and the count in its metadata, and closes it.
     * </pre>
     */
    public org.didmeta.v1.FreezeDidsResponse freezeDids(org.didmeta.v1.FreezeDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFreezeDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListPlugins lists the enabled plugins, in order, with their capabilities.
     * </pre>
     */
    public org.didmeta.v1.ListPluginsResponse listPlugins(org.didmeta.v1.ListPluginsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListPluginsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service MetadataService.
   * <pre>
   * MetadataService reads, writes and queries DID metadata across plugins.
   * </pre>
   */
  public static final class MetadataServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<MetadataServiceFutureStub> {
    private MetadataServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MetadataServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MetadataServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * SetMetadata sets one or many keys on one DID (upsert, shallow merge per key).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.SetMetadataResponse> setMetadata(
        org.didmeta.v1.SetMetadataRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetMetadataMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SetMetadataBulk sets keys on many DIDs in one atomic request.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.SetMetadataBulkResponse> setMetadataBulk(
        org.didmeta.v1.SetMetadataBulkRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetMetadataBulkMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetMetadata returns one DID's metadata from one plugin or from ALL.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.GetMetadataResponse> getMetadata(
        org.didmeta.v1.GetMetadataRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetMetadataMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteMetadata deletes keys of one DID from their owning plugins.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.DeleteMetadataResponse> deleteMetadata(
        org.didmeta.v1.DeleteMetadataRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteMetadataMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CountDids counts the DIDs a ListDids with the same arguments would return.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.CountDidsResponse> countDids(
        org.didmeta.v1.CountDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCountDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * FacetDids summarises the values of keys over the DIDs a ListDids with the same arguments would
     * return: top values with counts, histograms, and the number of DIDs lacking each key.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.FacetDidsResponse> facetDids(
        org.didmeta.v1.FacetDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFacetDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ExplainDids shows how a ListDids with the same arguments would run: the parsed filter, the
     * plugin of each clause, the query each backend runs and the catalogue database's plan.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.ExplainDidsResponse> explainDids(
        org.didmeta.v1.ExplainDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getExplainDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeclareKey declares (or redeclares) a metadata key's type and constraints (admins) and reports
     * the existing DIDs whose value violates the declaration.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.DeclareKeyResponse> declareKey(
        org.didmeta.v1.DeclareKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeclareKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListKeys lists the declared keys, by key.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.ListKeysResponse> listKeys(
        org.didmeta.v1.ListKeysRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListKeysMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetKey returns one declaration (NOT_FOUND if the key is not declared).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.GetKeyResponse> getKey(
        org.didmeta.v1.GetKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteKey removes a declaration (admins); the key's values stay.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.DeleteKeyResponse> deleteKey(
        org.didmeta.v1.DeleteKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SaveQuery stores a named query (the arguments of a listing), owned by the caller's account.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.SaveQueryResponse> saveQuery(
        org.didmeta.v1.SaveQueryRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSaveQueryMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListSavedQueries lists an account's saved queries (default: the caller's), by name.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.ListSavedQueriesResponse> listSavedQueries(
        org.didmeta.v1.ListSavedQueriesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListSavedQueriesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetSavedQuery returns one saved query (NOT_FOUND if there is none of that name).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.GetSavedQueryResponse> getSavedQuery(
        org.didmeta.v1.GetSavedQueryRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetSavedQueryMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteSavedQuery deletes one of the caller's saved queries.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.DeleteSavedQueryResponse> deleteSavedQuery(
        org.didmeta.v1.DeleteSavedQueryRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteSavedQueryMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * FreezeDids creates a DATASET or CONTAINER whose content is exactly the DIDs a listing returns
     * now, records the query, the time and the count in its metadata, and closes it.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.FreezeDidsResponse> freezeDids(
        org.didmeta.v1.FreezeDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFreezeDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListPlugins lists the enabled plugins, in order, with their capabilities.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.ListPluginsResponse> listPlugins(
        org.didmeta.v1.ListPluginsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListPluginsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_SET_METADATA = 0;
  private static final int METHODID_SET_METADATA_BULK = 1;
  private static final int METHODID_GET_METADATA = 2;
  private static final int METHODID_GET_METADATA_BULK = 3;
  private static final int METHODID_DELETE_METADATA = 4;
  private static final int METHODID_LIST_DIDS = 5;
  private static final int METHODID_COUNT_DIDS = 6;
  private static final int METHODID_FACET_DIDS = 7;
  private static final int METHODID_EXPLAIN_DIDS = 8;
  private static final int METHODID_DECLARE_KEY = 9;
  private static final int METHODID_LIST_KEYS = 10;
  private static final int METHODID_GET_KEY = 11;
  private static final int METHODID_DELETE_KEY = 12;
  private static final int METHODID_SAVE_QUERY = 13;
  private static final int METHODID_LIST_SAVED_QUERIES = 14;
  private static final int METHODID_GET_SAVED_QUERY = 15;
  private static final int METHODID_DELETE_SAVED_QUERY = 16;
  private static final int METHODID_FREEZE_DIDS = 17;
  private static final int METHODID_LIST_PLUGINS = 18;
  private static final int METHODID_LOAD_DIDS = 19;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_SET_METADATA:
          serviceImpl.setMetadata((org.didmeta.v1.SetMetadataRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.SetMetadataResponse>) responseObserver);
          break;
        case METHODID_SET_METADATA_BULK:
          serviceImpl.setMetadataBulk((org.didmeta.v1.SetMetadataBulkRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.SetMetadataBulkResponse>) responseObserver);
          break;
        case METHODID_GET_METADATA:
          serviceImpl.getMetadata((org.didmeta.v1.GetMetadataRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.GetMetadataResponse>) responseObserver);
          break;
        case METHODID_GET_METADATA_BULK:
          serviceImpl.getMetadataBulk((org.didmeta.v1.GetMetadataBulkRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.GetMetadataBulkResponse>) responseObserver);
          break;
        case METHODID_DELETE_METADATA:
          serviceImpl.deleteMetadata((org.didmeta.v1.DeleteMetadataRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteMetadataResponse>) responseObserver);
          break;
        case METHODID_LIST_DIDS:
          serviceImpl.listDids((org.didmeta.v1.ListDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListDidsResponse>) responseObserver);
          break;
        case METHODID_COUNT_DIDS:
          serviceImpl.countDids((org.didmeta.v1.CountDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.CountDidsResponse>) responseObserver);
          break;
        case METHODID_FACET_DIDS:
          serviceImpl.facetDids((org.didmeta.v1.FacetDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.FacetDidsResponse>) responseObserver);
          break;
        case METHODID_EXPLAIN_DIDS:
          serviceImpl.explainDids((org.didmeta.v1.ExplainDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ExplainDidsResponse>) responseObserver);
          break;
        case METHODID_DECLARE_KEY:
          serviceImpl.declareKey((org.didmeta.v1.DeclareKeyRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.DeclareKeyResponse>) responseObserver);
          break;
        case METHODID_LIST_KEYS:
          serviceImpl.listKeys((org.didmeta.v1.ListKeysRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListKeysResponse>) responseObserver);
          break;
        case METHODID_GET_KEY:
          serviceImpl.getKey((org.didmeta.v1.GetKeyRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.GetKeyResponse>) responseObserver);
          break;
        case METHODID_DELETE_KEY:
          serviceImpl.deleteKey((org.didmeta.v1.DeleteKeyRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteKeyResponse>) responseObserver);
          break;
        case METHODID_SAVE_QUERY:
          serviceImpl.saveQuery((org.didmeta.v1.SaveQueryRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.SaveQueryResponse>) responseObserver);
          break;
        case METHODID_LIST_SAVED_QUERIES:
          serviceImpl.listSavedQueries((org.didmeta.v1.ListSavedQueriesRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListSavedQueriesResponse>) responseObserver);
          break;
        case METHODID_GET_SAVED_QUERY:
          serviceImpl.getSavedQuery((org.didmeta.v1.GetSavedQueryRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.GetSavedQueryResponse>) responseObserver);
          break;
        case METHODID_DELETE_SAVED_QUERY:
          serviceImpl.deleteSavedQuery((org.didmeta.v1.DeleteSavedQueryRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteSavedQueryResponse>) responseObserver);
          break;
        case METHODID_FREEZE_DIDS:
          serviceImpl.freezeDids((org.didmeta.v1.FreezeDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.FreezeDidsResponse>) responseObserver);
          break;
        case METHODID_LIST_PLUGINS:
          serviceImpl.listPlugins((org.didmeta.v1.ListPluginsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListPluginsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_LOAD_DIDS:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.loadDids(
              (io.grpc.stub.StreamObserver<org.didmeta.v1.LoadDidsResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getSetMetadataMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.SetMetadataRequest,
              org.didmeta.v1.SetMetadataResponse>(
                service, METHODID_SET_METADATA)))
        .addMethod(
          getSetMetadataBulkMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.SetMetadataBulkRequest,
              org.didmeta.v1.SetMetadataBulkResponse>(
                service, METHODID_SET_METADATA_BULK)))
        .addMethod(
          getLoadDidsMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              org.didmeta.v1.LoadDidsRequest,
              org.didmeta.v1.LoadDidsResponse>(
                service, METHODID_LOAD_DIDS)))
        .addMethod(
          getGetMetadataMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.GetMetadataRequest,
              org.didmeta.v1.GetMetadataResponse>(
                service, METHODID_GET_METADATA)))
        .addMethod(
          getGetMetadataBulkMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              org.didmeta.v1.GetMetadataBulkRequest,
              org.didmeta.v1.GetMetadataBulkResponse>(
                service, METHODID_GET_METADATA_BULK)))
        .addMethod(
          getDeleteMetadataMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.DeleteMetadataRequest,
              org.didmeta.v1.DeleteMetadataResponse>(
                service, METHODID_DELETE_METADATA)))
        .addMethod(
          getListDidsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              org.didmeta.v1.ListDidsRequest,
              org.didmeta.v1.ListDidsResponse>(
                service, METHODID_LIST_DIDS)))
        .addMethod(
          getCountDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.CountDidsRequest,
              org.didmeta.v1.CountDidsResponse>(
                service, METHODID_COUNT_DIDS)))
        .addMethod(
          getFacetDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.FacetDidsRequest,
              org.didmeta.v1.FacetDidsResponse>(
                service, METHODID_FACET_DIDS)))
        .addMethod(
          getExplainDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.ExplainDidsRequest,
              org.didmeta.v1.ExplainDidsResponse>(
                service, METHODID_EXPLAIN_DIDS)))
        .addMethod(
          getDeclareKeyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.DeclareKeyRequest,
              org.didmeta.v1.DeclareKeyResponse>(
                service, METHODID_DECLARE_KEY)))
        .addMethod(
          getListKeysMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.ListKeysRequest,
              org.didmeta.v1.ListKeysResponse>(
                service, METHODID_LIST_KEYS)))
        .addMethod(
          getGetKeyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.GetKeyRequest,
              org.didmeta.v1.GetKeyResponse>(
                service, METHODID_GET_KEY)))
        .addMethod(
          getDeleteKeyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.DeleteKeyRequest,
              org.didmeta.v1.DeleteKeyResponse>(
                service, METHODID_DELETE_KEY)))
        .addMethod(
          getSaveQueryMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.SaveQueryRequest,
              org.didmeta.v1.SaveQueryResponse>(
                service, METHODID_SAVE_QUERY)))
        .addMethod(
          getListSavedQueriesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.ListSavedQueriesRequest,
              org.didmeta.v1.ListSavedQueriesResponse>(
                service, METHODID_LIST_SAVED_QUERIES)))
        .addMethod(
          getGetSavedQueryMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.GetSavedQueryRequest,
              org.didmeta.v1.GetSavedQueryResponse>(
                service, METHODID_GET_SAVED_QUERY)))
        .addMethod(
          getDeleteSavedQueryMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.DeleteSavedQueryRequest,
              org.didmeta.v1.DeleteSavedQueryResponse>(
                service, METHODID_DELETE_SAVED_QUERY)))
        .addMethod(
          getFreezeDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.FreezeDidsRequest,
              org.didmeta.v1.FreezeDidsResponse>(
                service, METHODID_FREEZE_DIDS)))
        .addMethod(
          getListPluginsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.ListPluginsRequest,
              org.didmeta.v1.ListPluginsResponse>(
                service, METHODID_LIST_PLUGINS)))
        .build();
  }

  private static abstract class MetadataServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    MetadataServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return org.didmeta.v1.MetadataServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("MetadataService");
    }
  }

  private static final class MetadataServiceFileDescriptorSupplier
      extends MetadataServiceBaseDescriptorSupplier {
    MetadataServiceFileDescriptorSupplier() {}
  }

  private static final class MetadataServiceMethodDescriptorSupplier
      extends MetadataServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    MetadataServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (MetadataServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new MetadataServiceFileDescriptorSupplier())
              .addMethod(getSetMetadataMethod())
              .addMethod(getSetMetadataBulkMethod())
              .addMethod(getLoadDidsMethod())
              .addMethod(getGetMetadataMethod())
              .addMethod(getGetMetadataBulkMethod())
              .addMethod(getDeleteMetadataMethod())
              .addMethod(getListDidsMethod())
              .addMethod(getCountDidsMethod())
              .addMethod(getFacetDidsMethod())
              .addMethod(getExplainDidsMethod())
              .addMethod(getDeclareKeyMethod())
              .addMethod(getListKeysMethod())
              .addMethod(getGetKeyMethod())
              .addMethod(getDeleteKeyMethod())
              .addMethod(getSaveQueryMethod())
              .addMethod(getListSavedQueriesMethod())
              .addMethod(getGetSavedQueryMethod())
              .addMethod(getDeleteSavedQueryMethod())
              .addMethod(getFreezeDidsMethod())
              .addMethod(getListPluginsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
