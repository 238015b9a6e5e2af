"""The gaq equivariant transformer (src/main/java/org/gaq/model/EquivariantTransformer.java) in PyTorch.

A line-by-line mirror for cross-checking the Java autograd: same parameter names and layouts as the
gaq checkpoint (weights are [in, out], y = x @ W + b), same graph convention (edge e: i <- j with
i = center[e], j = neighbor[e], r_ij = R_j - R_i), same constants. Works in float32 or float64.

Nothing here needs the `safetensors` package: the file format is read and written with numpy.
"""
import json
import math
import struct
import zipfile

import numpy as np
import torch

KCAL_PER_MOL_IN_EV = 0.0433641  # org.gaq.data.Units.KCAL_PER_MOL_IN_EV

# ----------------------------------------------------------------------------- safetensors I/O

_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8,
           "I8": np.int8, "F16": np.float16, "I16": np.int16}


def read_safetensors(path):
    """Returns (tensors: dict name -> numpy array, metadata: dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(raw[base + lo:base + hi], dtype=dt).reshape(info["shape"]).copy()
    return out, meta


# ----------------------------------------------------------------------------- data

def read_rmd17(path):
    """rMD17 npz -> (Z [n] int, R [F,n,3] float64 Å, E [F] eV, F [F,n,3] eV/Å), as org.gaq.data.Rmd17Reader."""
    with np.load(path) as d:
        z = d["nuclear_charges"].astype(np.int64)
        r = d["coords"].astype(np.float64)
        e = d["energies"].astype(np.float64) * KCAL_PER_MOL_IN_EV
        f = d["forces"].astype(np.float64) * KCAL_PER_MOL_IN_EV
    return z, r, e, f


def edges_of(positions, cutoff):
    """All ordered pairs i != j with |R_j - R_i| < cutoff (float64 positions), sorted by (i, j)."""
    d2 = ((positions[None, :, :] - positions[:, None, :]) ** 2).sum(-1)
    n = len(positions)
    mask = (d2 < cutoff * cutoff) & ~np.eye(n, dtype=bool)
    center, neighbor = np.nonzero(mask)  # row-major: sorted by centre, then neighbour
    return center, neighbor


def batch(frames, cutoff):
    """frames: list of (Z, R float64 [n,3], E, F [n,3]). Mirrors NeighborList.batch: positions are stored
    as float32 (the Java model computes on float copies), edges come from the float64 positions,
    labels stay float64 here (the loss rounds them to float32 like Tensor.of(double[]))."""
    zs, rs, mols, cs, ns, es, fs = [], [], [], [], [], [], []
    offset = 0
    for m, (z, r, e, f) in enumerate(frames):
        c, nb = edges_of(r, cutoff)
        zs.append(z); rs.append(r.astype(np.float32)); mols.append(np.full(len(z), m))
        cs.append(c + offset); ns.append(nb + offset); es.append(e); fs.append(f)
        offset += len(z)
    return dict(z=np.concatenate(zs), positions=np.concatenate(rs), molecule=np.concatenate(mols),
                center=np.concatenate(cs), neighbor=np.concatenate(ns), num_molecules=len(frames),
                energies=np.array(es, dtype=np.float64), forces=np.concatenate(fs))


# ----------------------------------------------------------------------------- model

def layer_norm(x, gamma, beta, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * gamma + beta over the last axis (biased variance)."""
    c = x - x.mean(-1, keepdim=True)
    var = (c * c).mean(-1, keepdim=True)
    return c * torch.rsqrt(var + eps) * gamma + beta


def f32(x):
    """A Java float constant: the double rounded to float32, as a Python float."""
    return float(np.float32(x))


def index_add(src, index, n):
    """out[index[e]] += src[e] (segment sum)."""
    out = src.new_zeros((n,) + tuple(src.shape[1:]))
    return out.index_add(0, index, src)


# EquivariantTransformer.ATTENTION_SINK: the softmax's eps (a sink of logit 0, for smoothness at r_c)
ATTENTION_SINK = 1.0


def segment_softmax(logits, weight, segment, n, eps):
    """alpha_e = w_e exp(l_e) / (eps + sum_{e' in seg(e)} w_e' exp(l_e')), computed as Functional.segmentSoftmax:
    m = per-segment max of l (a constant), num = w exp(l - m), denom = sum num + eps exp(-m)."""
    h = logits.shape[1]
    m = torch.full((n, h), -math.inf, dtype=logits.dtype).scatter_reduce(  # beta API in torch 1.13
        0, segment[:, None].expand(-1, h), logits.detach(), reduce="amax", include_self=True)
    num = torch.exp(logits - m[segment]) * weight
    denom = index_add(num, segment, n) + f32(eps) * torch.exp(-m)
    return num / denom[segment]


def parameter_names(config):
    """Parameter names in the order of the Java constructor (= checkpoint order); other tensors a
    checkpoint may hold (optimizer state) are ignored."""
    names = ["embedding"]
    for l in range(config["layers"]):
        names += [f"layers.{l}.{s}" for s in (
            "norm.gamma", "norm.beta", "query.weight", "key.weight", "value.weight", "value.bias",
            "vector_mix.weight", "radial_filter.weight", "radial_filter.bias", "radial_bias.weight",
            "temperature", "output.weight", "output.bias")]
    return names + ["head.norm.gamma", "head.norm.beta", "head.hidden.weight", "head.hidden.bias",
                    "head.out.weight", "head.out.bias"]


def weight_products(layers):
    """(weight, bias or None) of every weight product x @ W (+ b) of the model, in forward order."""
    out = []
    for l in range(layers):
        pre = f"layers.{l}."
        out += [(pre + "query.weight", None), (pre + "key.weight", None),
                (pre + "value.weight", pre + "value.bias"), (pre + "vector_mix.weight", None),
                (pre + "radial_bias.weight", None), (pre + "radial_filter.weight", pre + "radial_filter.bias"),
                (pre + "output.weight", pre + "output.bias")]
    return out + [("head.hidden.weight", "head.hidden.bias"), ("head.out.weight", "head.out.bias")]


class GaqModel(torch.nn.Module):
    def __init__(self, tensors, config, dtype=torch.float64):
        super().__init__()
        self.config = config
        self.F, self.L, self.H = config["features"], config["layers"], config["heads"]
        self.K, self.rc, self.cosine = config["radialBasis"], config["cutoff"], config["cosineAttention"]
        self.D = self.F // self.H
        self.dtype = dtype
        self.names = parameter_names(config)
        missing = [k for k in self.names + ["element_shift", "element_scale"] if k not in tensors]
        assert not missing, f"checkpoint lacks {missing}"
        self.params = torch.nn.ParameterDict()
        # ParameterDict keys must not contain '.', so store with '/' and keep the gaq names in self.names.
        for k in self.names:
            self.params[k.replace(".", "/")] = torch.nn.Parameter(torch.tensor(tensors[k], dtype=dtype))
        # PhysNet centres and width, rounded to float like Radial.physNet
        lo = math.exp(-self.rc)
        self.mu = torch.tensor([f32(lo + (1.0 - lo) * i / (self.K - 1)) for i in range(self.K)], dtype=dtype)
        self.beta = f32(((2.0 / self.K) * (1.0 - lo)) ** -2)
        self.element_shift = torch.tensor(tensors["element_shift"], dtype=dtype)
        self.element_scale = torch.tensor(tensors["element_scale"], dtype=dtype)
        self.linears = None  # see use_linear_modules()

    @classmethod
    def load(cls, path, dtype=torch.float64):
        tensors, meta = read_safetensors(path)
        assert meta.get("format") == "gaq-equivariant-transformer", meta.get("format")
        return cls(tensors, json.loads(meta["config"]), dtype)

    def p(self, name):
        return self.params[name.replace(".", "/")]

    def use_linear_modules(self):
        """Route every weight product x @ W (+ b) through a torch.nn.Linear module (weight W^T, bias b,
        copies of the gaq parameters), so that torch.ao.quantization.quantize_dynamic(model, {nn.Linear})
        can replace them. For inference only: the Linear modules are not the parameters of
        parameter_list() (which check_agreement.py differentiates), so call this on a model you only
        evaluate. Returns self."""
        self.linears = torch.nn.ModuleDict()
        for w, b in weight_products(self.L):
            weight = self.p(w).detach()
            lin = torch.nn.Linear(weight.shape[0], weight.shape[1], bias=b is not None, dtype=self.dtype)
            with torch.no_grad():
                lin.weight.copy_(weight.t())
                if b is not None:
                    lin.bias.copy_(self.p(b).detach())
            self.linears[w.replace(".", "/")] = lin
        return self

    def lin(self, w, b, x):
        """x @ W + b (b may be None), or the Linear module of W after use_linear_modules()."""
        if self.linears is not None:
            return self.linears[w.replace(".", "/")](x)
        y = x @ self.p(w)
        return y if b is None else y + self.p(b)

    def parameter_list(self):
        """Parameters in checkpoint order, with their gaq names."""
        return [(k, self.p(k)) for k in self.names]

    def energies(self, g, positions):
        """Molecular energies [M] (eV) as a function of positions [N,3]."""
        dt = self.dtype
        z = torch.as_tensor(g["z"], dtype=torch.long)
        ci = torch.as_tensor(g["center"], dtype=torch.long)
        nj = torch.as_tensor(g["neighbor"], dtype=torch.long)
        n, e, F, H, D = len(z), len(ci), self.F, self.H, self.D

        # Edge geometry: r_ij = R_j - R_i, d_ij = |r_ij| (eps 0), unit r^_ij = r_ij / d_ij
        rij = positions[nj] - positions[ci]
        dij = torch.sqrt((rij * rij).sum(1, keepdim=True))
        unit = rij / dij
        # cosine cutoff phi(d) = 1/2 (cos(pi d / r_c) + 1) for d < r_c else 0
        cutoff = 0.5 * (torch.cos(dij * f32(math.pi / self.rc)) + 1.0) * (dij < self.rc).to(dt)
        # PhysNet basis rbf_k = exp(-beta (e^-d - mu_k)^2), mu = linspace(e^-rc, 1, K), beta = ((2/K)(1-e^-rc))^-2
        mu, beta = self.mu, self.beta
        rbf = torch.exp(-beta * (torch.exp(-dij) - mu) ** 2)                         # [E,K]

        h = self.p("embedding")[z]                                                  # [N,F]
        v = torch.zeros(n, 3, F, dtype=dt)                                          # [N,3,F]
        for l in range(self.L):
            P = lambda s: self.p(f"layers.{l}.{s}")
            s = layer_norm(h, P("norm.gamma"), P("norm.beta"))
            q = self.lin(f"layers.{l}.query.weight", None, s)                                             # [N,F]
            k = self.lin(f"layers.{l}.key.weight", None, s)                                               # [N,F]
            a = self.lin(f"layers.{l}.value.weight", f"layers.{l}.value.bias", s)                           # [N,3F]
            u = self.lin(f"layers.{l}.vector_mix.weight", None, v.reshape(3 * n, F)).reshape(n, 3, 3 * F)  # [N,3,3F]

            # logits_ijh = tau_h q~_ih . k~_jh (cosine: q~ = q/|q|) or q.k/sqrt(D), plus W_b rbf_ij
            qh, kh = q.reshape(n, H, D), k.reshape(n, H, D)
            if self.cosine:
                qh = qh / torch.sqrt((qh * qh).sum(2, keepdim=True) + f32(1e-6) * f32(1e-6))
                kh = kh / torch.sqrt((kh * kh).sum(2, keepdim=True) + f32(1e-6) * f32(1e-6))
            dot = (qh[ci] * kh[nj]).sum(2)                                           # [E,H]
            logits = dot * P("temperature") if self.cosine else dot * f32(1.0 / math.sqrt(D))
            logits = logits + self.lin(f"layers.{l}.radial_bias.weight", None, rbf)
            alpha = segment_softmax(logits, cutoff, ci, n, ATTENTION_SINK)           # [E,H]
            alphaF = alpha[:, :, None].expand(e, H, D).reshape(e, F)                 # head of channel c = c // D

            # messages m = a_j * SiLU(W_r rbf_ij + b_r) = [m1 | m2 | m3], each weighted by alpha
            filt = torch.nn.functional.silu(self.lin(f"layers.{l}.radial_filter.weight", f"layers.{l}.radial_filter.bias", rbf))
            m = a[nj] * filt                                                         # [E,3F]
            m1, m2, m3 = m[:, :F] * alphaF, m[:, F:2 * F] * alphaF, m[:, 2 * F:] * alphaF
            # dh_i = sum_j m1;  dv_i = sum_j (m3 (x) r^_ij + m2 * v_j)
            dh = index_add(m1, ci, n)
            vmsg = m3[:, None, :] * unit[:, :, None]                                 # [E,3,F]
            if l > 0:
                vmsg = vmsg + m2[:, None, :] * v[nj]
            dv = index_add(vmsg, ci, n)
            # [o1 o2 o3] = W_o dh + b_o;  h += o3 + o2 * <u1,u2>;  v += o1 * u3 + dv
            o = self.lin(f"layers.{l}.output.weight", f"layers.{l}.output.bias", dh)
            o1, o2, o3 = o[:, :F], o[:, F:2 * F], o[:, 2 * F:]
            u1, u2, u3 = u[:, :, :F], u[:, :, F:2 * F], u[:, :, 2 * F:]
            h = h + o3 + o2 * (u1 * u2).sum(1)
            v = v + o1[:, None, :] * u3 + dv

        # E = sum_i sigma_Z MLP(LN(h_i)) + mu_Z
        s = layer_norm(h, self.p("head.norm.gamma"), self.p("head.norm.beta"))
        hidden = torch.nn.functional.silu(self.lin("head.hidden.weight", "head.hidden.bias", s))
        atomic = self.lin("head.out.weight", "head.out.bias", hidden)       # [N,1]
        # Like EquivariantTransformer.interactionEnergies: the shifts mu_Z are added in float64 (shifts()).
        atom_energy = atomic * self.element_scale[z][:, None]
        mol = torch.as_tensor(g["molecule"], dtype=torch.long)
        return index_add(atom_energy, mol, g["num_molecules"]).reshape(-1)

    def shifts(self, g):
        """sum_{i in m} mu_{Z_i} per molecule, float64 (EquivariantTransformer.energyShifts)."""
        out = np.zeros(g["num_molecules"])
        np.add.at(out, np.asarray(g["molecule"]), self.element_shift.double().numpy()[np.asarray(g["z"])])
        return out

    def predict(self, g, create_graph=False):
        """(interaction energies E - sum mu_Z [M], forces [N,3] = -dE/dR)."""
        pos = torch.tensor(g["positions"], dtype=self.dtype, requires_grad=True)
        e = self.energies(g, pos)
        (grad,) = torch.autograd.grad(e.sum(), pos, create_graph=create_graph)
        return e, -grad


def loss_fn(model, g, energies, forces, w_e=0.01, w_f=0.99):
    """Trainer.lossAndGradients: sigma = element_scale[1];
    loss = w_E/B sum_m ((E_m - E^_m)/sigma)^2 + w_F/(3N) sum_c ((F_c - F^_c)/sigma)^2.
    `energies` are the interaction energies; their target E^_m - sum mu_Z is formed in float64 and then
    rounded to float32, as Java's Trainer.loss does (labels go through Tensor.of(double[]))."""
    dt = model.dtype
    e_ref = torch.tensor(np.asarray(np.asarray(g["energies"]) - model.shifts(g), dtype=np.float32), dtype=dt)
    f_ref = torch.tensor(np.asarray(g["forces"], dtype=np.float32).reshape(-1, 3), dtype=dt)
    inv_sigma = f32(1.0 / float(model.element_scale[1]))  # Java: 1f / elementScale[1]
    b, n = len(e_ref), len(f_ref)
    ee = (energies - e_ref) * inv_sigma
    fe = (forces - f_ref) * inv_sigma
    return (ee * ee).sum() * (w_e / b) + (fe * fe).sum() * (w_f / (3 * n))
